// A box that scrolls a long table within the page. It is a labelled region that takes the keyboard focus, so that
// keyboard users can scroll it too (WCAG 2.1.1; axe's scrollable-region-focusable). Its name is its table's caption
// (`labelledBy`), or `label` where the caption repeats the name of a landmark around it (each landmark's own).
import type { ComponentChildren } from 'preact';

export function ScrollRegion({
  labelledBy,
  label,
  class: className = '',
  children,
}: {
  labelledBy: string;
  label?: string;
  class?: string;
  children: ComponentChildren;
}) {
  return (
    <section
      class={`table-scroll ${className}`.trim()}
      aria-labelledby={label === undefined ? labelledBy : undefined}
      aria-label={label}
      // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must be reachable by keyboard to scroll it
      tabIndex={0}
    >
      {children}
    </section>
  );
}
