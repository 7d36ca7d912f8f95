// The alert routes: the org's alerts newest first, keyset-paged, and acknowledging one (it then stops counting in
// the overview's openAlerts). Another org's alert is a 404, the same as an unknown id. Who acknowledged is the
// token's `sub` (a Supabase user id), or null for the service role or a token whose sub is not a uuid. An
// acknowledgement may say how many failures its sender saw ({ failedCount }): an open run_failed alert that has
// counted more since is not acknowledged (409 alert_changed), so nobody closes a failure they never saw.
import { SyncRunLogError } from '../../_shared/errors.ts';
import type { Route } from '../../_shared/function-handler.ts';
import { json, readOptionalJsonBody } from '../../_shared/http.ts';
import { IntegrationsRepository } from '../../_shared/integrations.repository.ts';
import { parseInput, queryObject, UUID_PATTERN } from '../../_shared/validation.ts';
import { type Access, orgOf, uuidParam } from '../access.ts';
import type { SyncRunLogDeps } from '../deps.ts';
import { acknowledgeBody, alertsQuery, orgQuery } from '../schemas.ts';
import { DEFAULT_PAGE_SIZE } from './runs.ts';

export function alertRoutes(deps: SyncRunLogDeps, access: Access): Route[] {
  return [
    {
      method: 'GET',
      path: '/alerts',
      async handle(context) {
        const who = await access.caller(context);
        const query = parseInput(alertsQuery, queryObject(context.url.searchParams), 'query');
        const page = await new IntegrationsRepository(deps.db.asCaller(who)).getAlertsPage(orgOf(who, query.orgId), {
          limit: query.limit ?? DEFAULT_PAGE_SIZE,
          before: query.before,
        });
        return json(200, { alerts: page.items, nextCursor: page.nextCursor });
      },
    },
    {
      method: 'POST',
      path: '/alerts/:id/acknowledge',
      async handle(context) {
        const who = await access.caller(context);
        const alertId = uuidParam(context, 'id', 'alert');
        const query = parseInput(orgQuery, queryObject(context.url.searchParams), 'query');
        const orgId = orgOf(who, query.orgId);
        // No body (or an empty one) acknowledges the alert whatever it counts, as before the body existed.
        const body = await readOptionalJsonBody(context.request);
        const seenFailedCount = body === undefined ? undefined : parseInput(acknowledgeBody, body, 'body').failedCount;
        // Written as the service role for the org of the token (or the service role's orgId): an alert of any
        // other org is not found.
        const by = who.kind === 'user' && who.userId !== null && UUID_PATTERN.test(who.userId) ? who.userId : null;
        const alert = await new IntegrationsRepository(deps.db.asService())
          .acknowledgeAlert(orgId, alertId, by, seenFailedCount)
          .catch((error: unknown) => {
            // One message for every id: the answer does not depend on whose alert it was.
            if (error instanceof SyncRunLogError && error.code === 'not_found') throw notFound();
            throw error;
          });
        return json(200, { alert });
      },
    },
  ];
}

function notFound(): SyncRunLogError {
  return new SyncRunLogError('not_found', 'alert not found');
}
