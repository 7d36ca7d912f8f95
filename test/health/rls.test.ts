// Org isolation of the health table and its API: the org's coordinators and admins read their own rows (through
// get_integration_health and the table), another org and other roles see nothing, and clients cannot write.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HealthRepository } from '../../supabase/functions/_shared/health/health.repository.ts';
import { createSqlRpc } from '../../supabase/functions/_shared/sql-rpc.ts';
import { asAuthenticated, createTestDatabase, SERVICE, type TestDatabase, userClaims } from '../helpers/db.ts';

const ORG_A = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
const ORG_B = 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb';
const NOW = new Date('2026-11-28T12:00:00Z');

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
  const service = new HealthRepository(createSqlRpc(db.sql, SERVICE));
  for (const type of ['xledger', 'bufdir']) await service.register(ORG_A, type, NOW);
  await service.register(ORG_B, 'dynamics', NOW);
});
afterAll(() => db.drop());

const as = (orgId: string, role = 'coordinator') =>
  new HealthRepository(createSqlRpc(db.sql, { role: 'authenticated', claims: userClaims(orgId, role) }));

describe('integration_health RLS', () => {
  it('coordinators and admins read their own org', async () => {
    expect((await as(ORG_A).getIntegrationHealth(ORG_A)).map((r) => r.integrationType)).toEqual(['bufdir', 'xledger']);
    expect((await as(ORG_B, 'admin').getIntegrationHealth(ORG_B)).map((r) => r.integrationType)).toEqual(['dynamics']);
  });

  it('another org sees nothing, through the RPC or the table', async () => {
    expect(await as(ORG_B).getIntegrationHealth(ORG_A)).toEqual([]);
    const rows = await asAuthenticated(
      db.sql,
      userClaims(ORG_B),
      (tx) => tx`select org_id from public.integration_health`,
    );
    expect(rows.map((r) => r.org_id)).toEqual([ORG_B]);
  });

  it('other app roles and bad claims see nothing', async () => {
    expect(await as(ORG_A, 'volunteer').getIntegrationHealth(ORG_A)).toEqual([]);
    const bad = new HealthRepository(
      createSqlRpc(db.sql, {
        role: 'authenticated',
        claims: { role: 'authenticated', org_id: 'not-a-uuid', user_role: 'admin' },
      }),
    );
    expect(await bad.getIntegrationHealth(ORG_A)).toEqual([]);
  });

  it('anon cannot read, and clients cannot call the write functions or write the table', async () => {
    const anon = new HealthRepository(createSqlRpc(db.sql, { role: 'anon', claims: { role: 'anon' } }));
    await expect(anon.getIntegrationHealth(ORG_A)).rejects.toMatchObject({
      code: 'internal',
      details: { databaseCode: '42501' },
    });
    await expect(as(ORG_A, 'admin').register(ORG_A, 'dynamics', NOW)).rejects.toMatchObject({
      details: { databaseCode: '42501' },
    });
    await expect(
      as(ORG_A, 'admin').recordSyncOutcome({
        orgId: ORG_A,
        integrationType: 'xledger',
        at: NOW,
        succeeded: true,
        error: null,
      }),
    ).rejects.toMatchObject({ details: { databaseCode: '42501' } });
    await expect(
      asAuthenticated(
        db.sql,
        userClaims(ORG_A, 'admin'),
        (tx) => tx`update public.integration_health set status = 'healthy'`,
      ),
    ).rejects.toMatchObject({ code: '42501' });
  });

  it('bad input to the write functions is refused with SR005 and changes nothing', async () => {
    const service = new HealthRepository(createSqlRpc(db.sql, SERVICE));
    await expect(service.register(ORG_A, 'Not Valid!', NOW)).rejects.toMatchObject({ code: 'invalid_argument' });
    const { error } = await createSqlRpc(db.sql, SERVICE).rpc('record_integration_health_check', {
      p_org_id: ORG_A,
      p_integration_type: 'xledger',
      p_checked_at: NOW,
      p_healthy: true,
      p_latency_ms: -1,
      p_error: null,
      p_next_check_at: NOW,
    });
    expect(error?.code).toBe('SR005');
    await expect(
      service.recordCheck({
        orgId: ORG_B,
        integrationType: 'xledger',
        checkedAt: NOW,
        healthy: true,
        latencyMs: 1,
        error: null,
        nextCheckAt: NOW,
      }),
    ).rejects.toMatchObject({ code: 'not_found' });
    const rows = await db.sql`select status, last_checked_at from public.integration_health`;
    expect(rows).toHaveLength(3);
    expect(rows.every((r) => r.status === 'unknown' && r.last_checked_at === null)).toBe(true);
  });
});
