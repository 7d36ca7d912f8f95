// Telling an operator: every alert becomes a structured log line and, when ALERT_WEBHOOK_URL is set, a POST of
// the alert as JSON. A webhook that fails or hangs is logged (without its URL, which may hold a token) and never
// stops the tick.
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

export async function notifyAlert(notice: AlertNotice, options: NotifyOptions): Promise<void> {
  options.log.log('warn', `scheduler alert: ${notice.kind}`, { event: 'sync_alert', ...notice });
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
