// Who is calling and which org a request is about, shared by the route modules:
//   service role: any org, named by `orgId` (query, or the body of POST /runs);
//   coordinator / admin: the org of their verified org_id claim only; sending orgId is 403;
//   admin-only routes (connections, schedules) are 403 for coordinators.
// Reads run as the caller (RLS decides what exists); writes run as the service role after these checks.
import type { Caller } from '../_shared/auth.ts';
import { SyncRunLogError } from '../_shared/errors.ts';
import type { RouteContext } from '../_shared/function-handler.ts';
import { INTEGRATION_TYPES, type IntegrationType } from '../_shared/integrations/integration-types.ts';
import { INTEGRATION_TYPE_PATTERN } from '../_shared/run-log.types.ts';
import { UUID_PATTERN } from '../_shared/validation.ts';
import type { SyncRunLogDeps } from './deps.ts';

export interface Access {
  /** Verifies the caller (401/403) and adds their role and org to the request's log line. */
  caller(context: RouteContext): Promise<Caller>;
  now(): Date;
}

export function createAccess(deps: SyncRunLogDeps): Access {
  return {
    async caller(context) {
      const who = await deps.auth.authenticate(context.request.headers);
      context.annotate(
        who.kind === 'service' ? { caller: 'service_role' } : { caller: who.userRole, orgId: who.orgId },
      );
      return who;
    },
    now: deps.now ?? (() => new Date()),
  };
}

/** The org a request is about: the user's own, or the service role's `orgId` parameter (`where` names it). */
export function orgOf(who: Caller, orgId: string | undefined, where = 'query.orgId'): string {
  if (who.kind === 'user') {
    if (orgId !== undefined) {
      throw new SyncRunLogError('forbidden', 'orgId is for the service role: your org comes from your token');
    }
    return who.orgId;
  }
  if (orgId === undefined) throw new SyncRunLogError('invalid_argument', `${where}: required for the service role`);
  return orgId.toLowerCase();
}

/** 403 unless the caller is an admin of their org or the service role. */
export function requireAdmin(who: Caller, what: string): void {
  if (who.kind === 'user' && who.userRole !== 'admin') {
    throw new SyncRunLogError('forbidden', `only an admin may ${what}`);
  }
}

export function isKnownIntegration(type: string): type is IntegrationType {
  return (INTEGRATION_TYPES as readonly string[]).includes(type);
}

/** The `{type}` of an /integrations/{type}/... path: one the adapters know, or 404. */
export function integrationTypeOf(context: RouteContext): IntegrationType {
  const type = context.params.type ?? '';
  if (isKnownIntegration(type)) return type;
  const named = INTEGRATION_TYPE_PATTERN.test(type) ? `"${type}"` : 'of that name';
  throw new SyncRunLogError('not_found', `no integration ${named}: this project knows ${INTEGRATION_TYPES.join(', ')}`);
}

/** A uuid path parameter, lowercased; anything else is the same 404 as an unknown id. */
export function uuidParam(context: RouteContext, name: string, thing: string): string {
  const id = context.params[name] ?? '';
  if (!UUID_PATTERN.test(id)) throw new SyncRunLogError('not_found', `${thing} not found`);
  return id.toLowerCase();
}
