// The connection schemas per integration type: what each adapter accepts as credentials and settings, what it
// refuses, and that no message about a refused value repeats the value (the HTTP routes answer with these
// messages; the executor stores them in the run log).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CONNECTION_SCHEMAS,
  type ConnectionSchemas,
  connectionSchemasFor,
  isDynamicsEnvironmentUrl,
  isOrganisationNumber,
  parseConnection,
} from '../../supabase/functions/_shared/integrations/connection-schemas.ts';
import { IntegrationError } from '../../supabase/functions/_shared/integrations/integration.ts';
import { INTEGRATION_TYPES } from '../../supabase/functions/_shared/integrations/integration-types.ts';
import { parseInput } from '../../supabase/functions/_shared/validation.ts';
import { LOCAL_CREDENTIALS } from './simulated.ts';

describe('connection schemas', () => {
  it('exist for every integration type an adapter serves, and for no other', () => {
    expect(Object.keys(CONNECTION_SCHEMAS).sort()).toEqual([...INTEGRATION_TYPES].sort());
    for (const type of INTEGRATION_TYPES) expect(connectionSchemasFor(type)).toBe(CONNECTION_SCHEMAS[type]);
    expect(connectionSchemasFor('visma')).toBeNull();
    expect(connectionSchemasFor('__proto__')).toBeNull();
  });

  it('accept the local credentials and the documented settings', () => {
    for (const type of INTEGRATION_TYPES) {
      expect(CONNECTION_SCHEMAS[type].credentials.parse(LOCAL_CREDENTIALS[type])).toEqual(LOCAL_CREDENTIALS[type]);
      expect(CONNECTION_SCHEMAS[type].settings.parse({})).toEqual({});
    }
    expect(CONNECTION_SCHEMAS.xledger.settings.parse({ companyId: 12345 })).toEqual({ companyId: 12345 });
    expect(
      CONNECTION_SCHEMAS.dynamics.settings.parse({
        environmentUrl: 'https://contoso.crm4.dynamics.com/',
        tenantId: 'contoso.onmicrosoft.com',
      }),
    ).toMatchObject({ tenantId: 'contoso.onmicrosoft.com' });
    expect(CONNECTION_SCHEMAS.bufdir.settings.parse({ organisationNumber: '974760673' })).toEqual({
      organisationNumber: '974760673',
    });
  });

  it.each([
    ['xledger', { companyId: 0 }],
    ['xledger', { companyId: '12' }],
    ['dynamics', { environmentUrl: 'https://contoso.crm4.dynamics.com.evil.example' }],
    ['dynamics', { tenantId: 'not a tenant' }],
    ['bufdir', { organisationNumber: '974760674' }],
    ['bufdir', { organisationNumber: '97476067' }],
  ] as const)('%s refuses the settings %j', (type, settings) => {
    expect(CONNECTION_SCHEMAS[type].settings.safeParse(settings).success).toBe(false);
  });

  it('knows Norwegian organisation numbers and Dataverse hosts', () => {
    expect(['974760673', '923609016', '889640782'].every(isOrganisationNumber)).toBe(true);
    expect(['974760672', '12345678', '1234567890', 'abcdefghi'].some(isOrganisationNumber)).toBe(false);
    expect(isDynamicsEnvironmentUrl('https://contoso.crm.dynamics.com')).toBe(true);
    expect(isDynamicsEnvironmentUrl('https://contoso.crm9.microsoftdynamics.us')).toBe(true);
    expect(isDynamicsEnvironmentUrl('https://dynamics.com')).toBe(false);
    expect(isDynamicsEnvironmentUrl('https://contoso.crm4.dynamics.com?x=1')).toBe(false);
  });

  it('never repeat a refused credential in a message: neither to the route nor into the run log', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...INTEGRATION_TYPES),
        fc.string({ maxLength: 60 }).map((s) => `s3cr3t${s}`),
        fc.constantFrom('value', 'key'),
        (type, secret, where) => {
          const [field] = Object.keys(LOCAL_CREDENTIALS[type]) as [string];
          // The secret as a value (a space makes it invalid) or smuggled in as an unknown field's name and value.
          const credentials =
            where === 'value'
              ? { ...LOCAL_CREDENTIALS[type], [field]: ` ${secret}` }
              : { ...LOCAL_CREDENTIALS[type], [`x${secret}`]: secret };
          const error = (() => {
            try {
              parseConnection(type, CONNECTION_SCHEMAS[type] as ConnectionSchemas, { credentials, settings: {} });
            } catch (e) {
              return e;
            }
            return null;
          })();
          expect(error).toBeInstanceOf(IntegrationError);
          expect((error as IntegrationError).code).toBe('not_configured');
          expect((error as IntegrationError).message).not.toContain(secret);
          if (where === 'value') {
            let routeMessage = '';
            try {
              parseInput(CONNECTION_SCHEMAS[type].credentials, credentials, 'credentials');
            } catch (e) {
              routeMessage = (e as Error).message;
            }
            expect(routeMessage).toMatch(/^credentials\./);
            expect(routeMessage).not.toContain(secret);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
