// `npm run db:migrate` applies pending migrations; `npm run db:rollback [-- <version>]` undoes the newest one,
// or every one newer than <version> (0 undoes all). Uses DATABASE_URL, or starts the embedded server.
import path from 'node:path';
import postgres from 'postgres';
import { loadConfig } from './config.ts';
import { startDatabase } from './embedded-db.ts';
import { applyLocalCompat, migrate, rollback } from './migrate.ts';

async function main(): Promise<void> {
  const [command, target] = process.argv.slice(2);
  if (command !== 'up' && command !== 'down') throw new Error('usage: cli-migrate.ts up | down [version]');
  const config = loadConfig();
  const db = await startDatabase(
    { dataDir: path.join(config.dataDir, 'postgres'), port: config.dbPort, log: () => {} },
    config.databaseUrl,
  );
  const sql = postgres(db.url, { max: 1, onnotice: () => {} });
  try {
    if (command === 'up') {
      await applyLocalCompat(sql);
      const applied = await migrate(sql, { log: console.log });
      console.log(applied.length ? `${applied.length} migration(s) applied` : 'nothing to apply: schema up to date');
    } else {
      const undone = await rollback(sql, { to: target, log: console.log });
      console.log(undone.length ? `${undone.length} migration(s) rolled back` : 'nothing to roll back');
    }
  } finally {
    await sql.end();
    await db.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
