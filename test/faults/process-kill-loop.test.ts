// Whole-process crashes, again and again: the server is SIGKILLed 20 times, each at a seeded
// moment while clients write, and restarted on the same data directory. After a restart, once
// caught up, the three replicas of each partition are identical (digests), every acknowledged
// write is there (consistent reads, so on the leader, so on all three replicas: at least two),
// and nothing that was never sent is. Counters updated with ADD show that an update whose
// answer was lost is applied once or not at all, never twice or in part. A seeded quarter of
// the rounds write and die before anything is checked (a crash during the catch-up from the
// previous one); the next restart checks what they did too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { BatchGetItemCommand, CreateTableCommand, DescribeTableCommand, PutItemCommand, ScanCommand, UpdateItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { clientFor, killChildServers, spawnServer, tempDataDir } from '../helpers/server.ts';
import { countsOutsideBounds, itemsIn, replicasAgree, type PartitionAgreement } from '../helpers/digests.ts';
import { Random } from '../replication/sim/random.ts';

const kills = 20;
const putWriters = 6;
const counterKeys = ['counter-0', 'counter-1', 'counter-2'];
/** Writes acknowledged in a round before its kill may come (so every round has some to lose). */
const acksBeforeKillMin = 30;
/** The kill comes this long (seeded, uniform) after those first acknowledgements. */
const killDelayMsMax = 500;
/** Share of rounds that write at once after a restart, and die soon, without waiting for catch-up. */
const hastyRoundShare = 0.25;
const hastyAcksBeforeKillMin = 1;
const hastyKillDelayMsMax = 150;
/** Bounds on waiting, so a server that stops making progress fails the test instead of hanging it. */
const firstAcksTimeoutMs = 20_000;
const convergeTimeoutMs = 30_000;
const seed = Number(process.env.KILL_SEED ?? 7_000_011);
const table = 'crashes';

/** What clients sent and what the server acknowledged, over all rounds. */
class Ledger {
  /** PutItem keys: acknowledged, and every key sent (acknowledged, failed, or cut off by a kill). */
  readonly putsAcked = new Set<string>();
  readonly putsSent = new Set<string>();
  /** Per counter: the ids of its ADD updates acknowledged, and of all sent. */
  readonly opsAcked = new Map(counterKeys.map((k) => [k, new Set<string>()]));
  readonly opsSent = new Map(counterKeys.map((k) => [k, new Set<string>()]));
  errorsBeforeKill = 0;

  /** One partition key per item that must exist, and per item that may. */
  mustExist(): string[] {
    return [...this.putsAcked, ...counterKeys.filter((k) => this.opsAcked.get(k)!.size > 0)];
  }
  mayExist(): string[] {
    return [...this.putsSent, ...counterKeys.filter((k) => this.opsSent.get(k)!.size > 0)];
  }
}

test(`${kills} SIGKILLs under write load: every acknowledged write survives on every replica, replicas converge`, { timeout: 240_000 }, async () => {
  const random = new Random(seed);
  const dataDir = tempDataDir('monodyne-kill-loop');
  const ledger = new Ledger();
  const roundMs: number[] = [];
  const convergeMs: number[] = [];
  let hastyRounds = 0;
  try {
    for (let round = 0; round <= kills; round++) {
      const roundStarted = Date.now();
      const hasty = round > 0 && round < kills && random.chance(hastyRoundShare);
      if (hasty) hastyRounds++;
      const server = await spawnServer(['--port', '0', '--data-dir', dataDir]);
      const client = clientFor(server.endpoint, 1);
      if (round === 0) {
        await client.send(new CreateTableCommand({ TableName: table, KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }], BillingMode: 'PAY_PER_REQUEST' }));
      } else if (!hasty) {
        const converging = Date.now();
        const agreement = await replicasAgree(server.endpoint, table, convergeTimeoutMs);
        convergeMs.push(Date.now() - converging);
        await checkEverything(client, server.endpoint, ledger, agreement, `after kill ${round}`);
      }
      if (round === kills) {
        // Finally, every acknowledged write by a consistent read of its own key (not only by Scan).
        await readEveryAcknowledged(client, [...ledger.putsAcked]);
        client.destroy();
        server.child.kill('SIGTERM');
        assert.equal((await server.exited).code, 0, 'SIGTERM stops the server cleanly');
        break;
      }

      let killed = false;
      let ackedThisRound = 0;
      const loops = [
        ...Array.from({ length: putWriters }, async (_, w) => {
          for (let seq = 0; !killed; seq++) {
            const pk = `r${round}-w${w}-${seq}`;
            ledger.putsSent.add(pk);
            try {
              await client.send(new PutItemCommand({ TableName: table, Item: { pk: { S: pk }, v: { S: pk } } }));
              // An answer is an acknowledgement even if it arrives as the process dies.
              ledger.putsAcked.add(pk);
              ackedThisRound++;
            } catch {
              if (!killed) ledger.errorsBeforeKill++;
            }
          }
        }),
        ...counterKeys.map(async (key) => {
          for (let n = 0; !killed; n++) {
            const op = `r${round}-${n}`;
            ledger.opsSent.get(key)!.add(op);
            try {
              await client.send(
                new UpdateItemCommand({ TableName: table, Key: { pk: { S: key } }, UpdateExpression: 'ADD n :one, ops :op', ExpressionAttributeValues: { ':one': { N: '1' }, ':op': { SS: [op] } } }),
              );
              ledger.opsAcked.get(key)!.add(op);
              ackedThisRound++;
            } catch {
              if (!killed) ledger.errorsBeforeKill++;
            }
          }
        }),
      ];
      try {
        const waitingSince = Date.now();
        while (ackedThisRound < (hasty ? hastyAcksBeforeKillMin : acksBeforeKillMin)) {
          if (Date.now() - waitingSince > firstAcksTimeoutMs) throw new Error(`round ${round}: only ${ackedThisRound} writes acknowledged in ${firstAcksTimeoutMs} ms`);
          await new Promise((r) => setTimeout(r, 10));
        }
        await new Promise((r) => setTimeout(r, random.int(0, hasty ? hastyKillDelayMsMax : killDelayMsMax)));
      } finally {
        // Also when the wait failed: writers stop rather than spin against a dead server.
        killed = true;
        server.child.kill('SIGKILL');
      }
      assert.equal((await server.exited).signal, 'SIGKILL');
      await Promise.all(loops);
      client.destroy();
      roundMs.push(Date.now() - roundStarted);
    }

    const opsAcked = [...ledger.opsAcked.values()].reduce((n, s) => n + s.size, 0);
    const opsSent = [...ledger.opsSent.values()].reduce((n, s) => n + s.size, 0);
    console.log(
      `seed ${seed} (replay with KILL_SEED=${seed}): ${kills} kills (${hastyRounds} before catch-up), ${kills - hastyRounds} restarts checked; ${ledger.putsAcked.size} of ${ledger.putsSent.size} PutItems and ${opsAcked} of ${opsSent} ADDs acknowledged; ` +
        `${ledger.errorsBeforeKill} errors before kills; rounds ${Math.min(...roundMs)}..${Math.max(...roundMs)} ms; convergence ${Math.min(...convergeMs)}..${Math.max(...convergeMs)} ms`,
    );
  } finally {
    await killChildServers();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

async function readEveryAcknowledged(client: DynamoDBClient, keys: string[]): Promise<void> {
  for (let i = 0; i < keys.length; i += 100) {
    let request: Record<string, { Keys: Array<Record<string, AttributeValue>>; ConsistentRead: boolean }> | undefined = {
      [table]: { Keys: keys.slice(i, i + 100).map((pk) => ({ pk: { S: pk } })), ConsistentRead: true },
    };
    let found = 0;
    while (request !== undefined && Object.keys(request).length > 0) {
      const got = await client.send(new BatchGetItemCommand({ RequestItems: request }));
      found += got.Responses?.[table]?.length ?? 0;
      request = got.UnprocessedKeys as typeof request;
    }
    assert.equal(found, Math.min(100, keys.length - i), `acknowledged writes ${i}..${i + 99}: only ${found} found`);
  }
}

/**
 * With the replicas in agreement: item counts per partition within what was acknowledged and
 * sent there, a consistent Scan holding every acknowledged key and no key never sent, counters
 * whose ADDs were applied each exactly once or not at all, and replicas unchanged meanwhile.
 */
async function checkEverything(client: DynamoDBClient, endpoint: string, ledger: Ledger, agreement: PartitionAgreement[], when: string): Promise<void> {
  assert.deepEqual(countsOutsideBounds(agreement, ledger.mustExist(), ledger.mayExist()), [], `${when}: replica item counts`);
  const items = new Map<string, Record<string, AttributeValue>>();
  let esk: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: table, ConsistentRead: true, ExclusiveStartKey: esk }));
    for (const item of page.Items ?? []) items.set(item.pk.S!, item);
    esk = page.LastEvaluatedKey;
  } while (esk !== undefined);
  assert.equal(items.size, itemsIn(agreement), `${when}: a consistent Scan sees ${items.size} items, the replicas hold ${itemsIn(agreement)}`);
  const lost = [...ledger.putsAcked].filter((pk) => !items.has(pk));
  assert.deepEqual(lost.slice(0, 10), [], `${when}: ${lost.length} acknowledged PutItems lost`);
  for (const [pk, item] of items) {
    if (ledger.opsSent.has(pk)) continue;
    assert.ok(ledger.putsSent.has(pk), `${when}: item ${pk} was never written`);
    assert.equal(item.v?.S, pk, `${when}: item ${pk} holds ${JSON.stringify(item)}`);
  }
  for (const key of counterKeys) {
    const item = items.get(key);
    const ops = new Set(item?.ops?.SS ?? []);
    const acked = ledger.opsAcked.get(key)!;
    const sent = ledger.opsSent.get(key)!;
    // Each ADD adds 1 and its own id together: n equal to the ids' count means none applied twice or in part.
    assert.equal(Number(item?.n?.N ?? 0), ops.size, `${when}: ${key} is ${item?.n?.N} after ${ops.size} distinct ADDs`);
    const missing = [...acked].filter((op) => !ops.has(op));
    assert.deepEqual(missing, [], `${when}: acknowledged ADDs to ${key} lost`);
    const invented = [...ops].filter((op) => !sent.has(op));
    assert.deepEqual(invented, [], `${when}: ADDs to ${key} never sent`);
  }
  const described = await client.send(new DescribeTableCommand({ TableName: table }));
  assert.equal(described.Table?.TableStatus, 'ACTIVE');
  // Nothing was written meanwhile: the replicas still hold what the reads above saw.
  assert.deepEqual(await replicasAgree(endpoint, table, 0), agreement, `${when}: replicas changed while being read`);
}
