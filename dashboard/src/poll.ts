// Polling of what can change while you look: running runs only. One call every `intervalMs` after the previous one
// answered (never two at once), paused while the tab is hidden (document.visibilityState), and once at once when
// it is shown again (or, when a call is still out then, as soon as that one answers).
import { useEffect, useRef } from 'preact/hooks';

export function usePolling(active: boolean, intervalMs: number, tick: () => Promise<void>): void {
  const latest = useRef(tick);
  latest.current = tick;

  useEffect(() => {
    if (!active) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    let inFlight = false;
    // Shown again while a call was out (sent before the tab was hidden): call again as soon as it answers.
    let again = false;

    const schedule = () => {
      clearTimeout(timer);
      if (!stopped && document.visibilityState === 'visible') timer = setTimeout(run, intervalMs);
    };
    const run = async () => {
      if (stopped || document.visibilityState !== 'visible') return;
      if (inFlight) {
        again = true;
        return;
      }
      inFlight = true;
      try {
        await latest.current();
      } catch {
        // the view shows its own error; keep polling
      } finally {
        inFlight = false;
        if (again) {
          again = false;
          void run();
        } else {
          schedule();
        }
      }
    };
    const onVisibility = () => {
      if (document.visibilityState === 'visible') void run();
      else clearTimeout(timer);
    };

    document.addEventListener('visibilitychange', onVisibility);
    schedule();
    return () => {
      stopped = true;
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisibility);
    };
  }, [active, intervalMs]);
}
