// Telling an operator: every alert becomes a structured log line at once and, when ALERT_WEBHOOK_URL is set, a
// POST of the alert as JSON, sent beside the tick's work (at most 4 at a time) and awaited before the tick returns:
// a slow or hanging webhook delays the report, never the periods. A webhook that fails or hangs is logged (without
// its URL, which may hold a token).
import type { Logger } from '../log.ts';

export interface AlertNotice {
  kind: string;
  orgId: string;
  integrationType: string | null;
  runId: string | null;
  alertId: string | null;
  details: Record<string, unknown>;
}

export interface NotifyOptions {
  log: Logger;
  /** POST target for every alert (ALERT_WEBHOOK_URL); unset: log only. */
  webhookUrl?: string | null;
  /** Generous by default: a slow webhook must not lose an alert (10 s). */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/** Posts at most this many alerts at once. */
const WEBHOOK_CONCURRENCY = 4;

export interface AlertNotifier {
  /** Logs the alert now and queues its webhook POST. */
  notify(notice: AlertNotice): void;
  /** Resolves when every queued POST has ended (delivered, refused or timed out). */
  drained(): Promise<void>;
}

export function alertNotifier(options: NotifyOptions): AlertNotifier {
  const waiting: AlertNotice[] = [];
  const senders = new Set<Promise<void>>();
  const send = async () => {
    for (let notice = waiting.shift(); notice; notice = waiting.shift()) await postAlert(notice, options);
  };
  return {
    notify(notice) {
      options.log.log('warn', `scheduler alert: ${notice.kind}`, { event: 'sync_alert', ...notice });
      if (!options.webhookUrl) return;
      waiting.push(notice);
      if (senders.size < WEBHOOK_CONCURRENCY) {
        const sender: Promise<void> = send().finally(() => senders.delete(sender));
        senders.add(sender);
      }
    },
    async drained() {
      while (senders.size > 0) await Promise.all([...senders]);
    },
  };
}

/** One POST; never throws (a failure is logged). */
async function postAlert(notice: AlertNotice, options: NotifyOptions): Promise<void> {
  if (!options.webhookUrl) return;
  const send = options.fetch ?? fetch;
  try {
    const response = await send(options.webhookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'sync_alert', ...notice }),
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
    await response.body?.cancel();
    if (!response.ok) {
      options.log.log('warn', 'alert webhook refused the alert', {
        event: 'alert_webhook_failed',
        status: response.status,
        kind: notice.kind,
      });
    }
  } catch (error) {
    const reason = error instanceof Error && error.name === 'TimeoutError' ? 'timeout' : 'unreachable';
    options.log.log('warn', 'alert webhook could not be reached', {
      event: 'alert_webhook_failed',
      reason,
      kind: notice.kind,
    });
  }
}
