// A separate process writing to the runbook store (src/store/db.test.ts starts several at once):
// `node --import test/support/register-ts.js test/support/store-writer.ts PATH NAME COUNT`.
// It prints the number of rows committed after each commit, so a parent that kills it knows
// what must have survived.
import { openStore, type StoreArea } from '../../src/store/db.js';

const [path, name, count] = process.argv.slice(2);
const area: StoreArea = { name: 'writers', migrations: ['CREATE TABLE w (writer TEXT NOT NULL, n INTEGER NOT NULL, payload TEXT NOT NULL, PRIMARY KEY (writer, n))'] };
const store = openStore(path!, [area]);
const insert = store.db.prepare('INSERT INTO w (writer, n, payload) VALUES (?, ?, ?)');
// each row its own transaction, as `apply` records one task result at a time
const one = store.db.transaction((n: number) => insert.run(name, n, 'x'.repeat(200)));
for (let n = 1; n <= Number(count); n++) {
  one(n);
  process.stdout.write(`${n}\n`);
}
store.close();
