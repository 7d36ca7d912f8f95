// A box that scrolls a long table within the page. It is a labelled region that takes the keyboard focus, so that
// keyboard users can scroll it too (WCAG 2.1.1; axe's scrollable-region-focusable).
import type { ComponentChildren } from 'preact';

export function ScrollRegion({
  labelledBy,
  class: className = '',
  children,
}: {
  labelledBy: string;
  class?: string;
  children: ComponentChildren;
}) {
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must be reachable by keyboard to scroll it
    <section class={`table-scroll ${className}`.trim()} aria-labelledby={labelledBy} tabIndex={0}>
      {children}
    </section>
  );
}
