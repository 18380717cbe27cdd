// Whole-process crashes, again and again: the server is SIGKILLed 20 times, each at a seeded
// moment, and restarted on the same data directory. After a restart, once caught up, the three
// replicas of each partition are identical (digests), every acknowledged write is there
// (consistent reads, so on the leader, so on all three replicas: at least two), and nothing that
// was never sent is. Counters updated with ADD show that an update whose answer was lost is
// applied once or not at all, never twice or in part.
//
// Most kills come while clients write: at a seeded moment, or aimed at a checkpoint (checkpoints
// are frequent here: the kill follows the line a storage node logs when one starts). In a seeded
// third of these rounds the server writes and dies before anything is checked (a crash during the
// catch-up from the previous one). Some kills come during recovery, for certain: the restarted
// server's storage nodes stop after replaying a seeded number of log records
// (MONODYNE_RECOVERY_PAUSE, with faults on; recovery takes milliseconds, so a kill timed from
// outside mostly missed it on a busy machine), and the test kills it once one says so. Which
// kills came during a checkpoint or during recovery is read from the server's output, which holds
// every line its storage threads logged before the kill (they write their lines synchronously):
// during recovery, a node had logged that its recovery started and not that it was done; during a
// checkpoint, a node had logged that its last checkpoint started and not that it was durable. The
// test requires a few of each (a timed kill is aimed at a checkpoint instead when the aims still
// planned could not make up the minimum). Of the kills during a checkpoint, those where the next
// start finds the B-tree's mark below the checkpoint's are counted too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { BatchGetItemCommand, CreateTableCommand, DescribeTableCommand, PutItemCommand, ScanCommand, UpdateItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { clientFor, killChildServers, startServerProcess, tempDataDir, type WatchedServer } from '../helpers/server.ts';
import { countsOutsideBounds, itemsIn, replicasAgree, type PartitionAgreement } from '../helpers/digests.ts';
import { Random } from '../replication/sim/random.ts';

const kills = 20;
const putWriters = 6;
const counterKeys = ['counter-0', 'counter-1', 'counter-2'];
/** Writes acknowledged in a round before its kill may come (so every round has some to lose). */
const acksBeforeKillMin = 30;
/** The kill comes this long (seeded, uniform) after those first acknowledgements. */
const killDelayMsMax = 500;
/** Share of the write rounds (timed or aimed at a checkpoint) that write at once after a restart, and die soon, without waiting for catch-up. */
const hastyRoundShare = 1 / 3;
const hastyAcksBeforeKillMin = 1;
const hastyKillDelayMsMax = 150;
/** Bounds on waiting, so a server that stops making progress fails the test instead of hanging it. */
const firstAcksTimeoutMs = 20_000;
const convergeTimeoutMs = 30_000;
const startTimeoutMs = 30_000;
/** Kills aimed at recovery and at a checkpoint (seeded rounds); the others come at a seeded moment. */
const recoveryKillsAimed = 5;
const checkpointKillsAimed = 6;
/** Each kind must provably have happened at least this often (aimed checkpoint kills may miss). */
const killsOfEachKindMin = 3;
/**
 * A recovery kill comes once a node has replayed a seeded number of log records up to this (or
 * all of its own, if fewer: a node's log after its mark was 1 KiB to 3 MiB here).
 */
const recoveryPauseRecordsMax = 3000;
/**
 * A checkpoint kill comes as soon as the test reads that a checkpoint started (they take a few to
 * tens of milliseconds here, and a test process short of CPU reads late: any delay loses most),
 * or, if none is seen under way this long after the round's first acknowledgements, then.
 */
const checkpointWaitMs = 5_000;
/** Frequent checkpoints (default 5 s), so that the write load always has one coming. */
const checkpointIntervalMs = 250;
const serverArgs = (dataDir: string) => ['--port', '0', '--data-dir', dataDir];
/** Debug: the storage nodes' checkpoint lines. */
const serverEnv = { MONODYNE_LOG_LEVEL: 'debug', MONODYNE_STORAGE_CHECKPOINT_INTERVAL_MS: String(checkpointIntervalMs) };
const seed = Number(process.env.KILL_SEED ?? 7_000_011);
/** KILL_LOOP_VERBOSE=1: a line per kill (what was under way). */
const verbose = process.env.KILL_LOOP_VERBOSE !== undefined;
const table = 'crashes';

type KillKind = 'timed' | 'checkpoint' | 'recovery';

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

test(`${kills} SIGKILLs under write load, during checkpoints and during recovery: every acknowledged write survives on every replica, replicas converge`, { timeout: 240_000 }, async () => {
  const random = new Random(seed);
  const dataDir = tempDataDir('monodyne-kill-loop');
  const ledger = new Ledger();
  const schedule = killSchedule(random);
  const roundMs: number[] = [];
  const convergeMs: number[] = [];
  const recoveries: Recovery[] = [];
  let hastyRounds = 0;
  /** Timed kills aimed instead, to make up a kind's minimum. */
  const extraAims: KillKind[] = [];
  /** Kills that provably came during a checkpoint / during recovery, by kind aimed. */
  const duringCheckpoint: KillKind[] = [];
  const duringRecovery: KillKind[] = [];
  /** Of those during a checkpoint, the ones before its mark was in the B-tree (the next start opened it at an older one). */
  const beforeMark: KillKind[] = [];
  /** The kill just made: what its process printed. */
  let killed: { round: number; kind: KillKind; output: string; checkpoints: string[] } | null = null;
  const judgeKill = (round: number, kind: KillKind, server: WatchedServer) => {
    const output = server.output();
    const recovering = recoveringAtKill(output);
    const checkpoints = checkpointsAtKill(output);
    if (recovering.length > 0) duringRecovery.push(kind);
    if (checkpoints.length > 0) duringCheckpoint.push(kind);
    killed = { round, kind, output, checkpoints };
    if (verbose) console.log(`kill ${round + 1} (${kind}): ${recovering.length > 0 ? `nodes ${recovering.join(', ')} recovering; ` : ''}${checkpoints.length > 0 ? `checkpoints under way on ${checkpoints.join(', ')}` : 'no checkpoint under way'}`);
  };
  /** At a start: its nodes' recoveries, and whether the last kill's checkpoints had their marks in the B-tree. */
  const judgeStart = (server: WatchedServer) => {
    recoveries.push(...recoveriesIn(server.output()));
    if (killed === null) return;
    const early = checkpointsBeforeMark(killed.output, server.output());
    if (early.length > 0) beforeMark.push(killed.kind);
    if (verbose && killed.checkpoints.length > 0) console.log(`  at the next start, marks not in the B-tree: ${early.join(', ') || 'none'}`);
  };
  try {
    for (let round = 0; round <= kills; round++) {
      const roundStarted = Date.now();
      let kind = schedule[round];
      // A timed kill is aimed at a checkpoint instead where the kills still planned could no longer
      // make up the minimum (aimed checkpoint kills miss when this process reads late).
      if (kind === 'timed' && round > 0 && round < kills) {
        const planned = schedule.slice(round).filter((x) => x === 'checkpoint').length;
        if (duringCheckpoint.length + planned < killsOfEachKindMin) {
          kind = 'checkpoint';
          extraAims.push(kind);
        }
      }
      const hasty = kind !== 'recovery' && round > 0 && round < kills && random.chance(hastyRoundShare);
      if (hasty) hastyRounds++;
      const when = `round ${round} (KILL_SEED=${seed})`;

      if (kind === 'recovery') {
        // Killed before it serves, while its nodes replay their logs: each stops after a seeded
        // number of records, and the kill follows the first that says so.
        const pauseAt = random.int(0, recoveryPauseRecordsMax);
        const server = startServerProcess(serverArgs(dataDir), { ...serverEnv, MONODYNE_FAULTS: 'true', MONODYNE_RECOVERY_PAUSE: String(pauseAt) });
        const paused = await server.waitFor(/recovery paused after/, startTimeoutMs);
        if (paused === null) throw new Error(`${when}: no storage node paused in its recovery:\n${server.output()}`);
        server.child.kill('SIGKILL');
        assert.equal((await server.closed).signal, 'SIGKILL', `${when}: the server died before the kill:\n${server.output()}`);
        judgeStart(server);
        judgeKill(round, kind, server);
        roundMs.push(Date.now() - roundStarted);
        continue;
      }

      const server = startServerProcess(serverArgs(dataDir), serverEnv);
      const endpoint = await listening(server, when);
      judgeStart(server);
      const client = clientFor(endpoint, 1);
      if (round === 0) {
        await client.send(new CreateTableCommand({ TableName: table, KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }], BillingMode: 'PAY_PER_REQUEST' }));
      } else if (!hasty) {
        const converging = Date.now();
        const agreement = await replicasAgree(endpoint, table, convergeTimeoutMs);
        convergeMs.push(Date.now() - converging);
        await checkEverything(client, endpoint, ledger, agreement, `after kill ${round}, ${when}`);
      }
      if (round === kills) {
        // Finally, every acknowledged write by a consistent read of its own key (not only by Scan).
        await readEveryAcknowledged(client, [...ledger.putsAcked]);
        client.destroy();
        server.child.kill('SIGTERM');
        assert.equal((await server.closed).code, 0, 'SIGTERM stops the server cleanly');
        break;
      }

      let stopped = false;
      let ackedThisRound = 0;
      let aim = '';
      const loops = [
        ...Array.from({ length: putWriters }, async (_, w) => {
          for (let seq = 0; !stopped; seq++) {
            const pk = `r${round}-w${w}-${seq}`;
            ledger.putsSent.add(pk);
            try {
              await client.send(new PutItemCommand({ TableName: table, Item: { pk: { S: pk }, v: { S: pk } } }));
              // An answer is an acknowledgement even if it arrives as the process dies.
              ledger.putsAcked.add(pk);
              ackedThisRound++;
            } catch {
              if (!stopped) ledger.errorsBeforeKill++;
            }
          }
        }),
        ...counterKeys.map(async (key) => {
          for (let n = 0; !stopped; n++) {
            const op = `r${round}-${n}`;
            ledger.opsSent.get(key)!.add(op);
            try {
              await client.send(
                new UpdateItemCommand({ TableName: table, Key: { pk: { S: key } }, UpdateExpression: 'ADD n :one, ops :op', ExpressionAttributeValues: { ':one': { N: '1' }, ':op': { SS: [op] } } }),
              );
              ledger.opsAcked.get(key)!.add(op);
              ackedThisRound++;
            } catch {
              if (!stopped) ledger.errorsBeforeKill++;
            }
          }
        }),
      ];
      try {
        const waitingSince = Date.now();
        while (ackedThisRound < (hasty ? hastyAcksBeforeKillMin : acksBeforeKillMin)) {
          if (Date.now() - waitingSince > firstAcksTimeoutMs) throw new Error(`${when}: only ${ackedThisRound} writes acknowledged in ${firstAcksTimeoutMs} ms`);
          await sleep(10);
        }
        if (kind === 'checkpoint') {
          aim = await aimAtCheckpoint(server);
        } else {
          await sleep(random.int(0, hasty ? hastyKillDelayMsMax : killDelayMsMax));
        }
      } finally {
        // Also when the wait failed: writers stop rather than spin against a dead server.
        stopped = true;
        server.child.kill('SIGKILL');
      }
      if (verbose && aim !== '') console.log(`kill ${round + 1}: ${aim}`);
      assert.equal((await server.closed).signal, 'SIGKILL');
      await Promise.all(loops);
      client.destroy();
      judgeKill(round, kind, server);
      roundMs.push(Date.now() - roundStarted);
    }

    const opsAcked = [...ledger.opsAcked.values()].reduce((n, s) => n + s.size, 0);
    const opsSent = [...ledger.opsSent.values()].reduce((n, s) => n + s.size, 0);
    const replays = recoveries.filter((r) => r.logKiB > 0);
    console.log(
      `seed ${seed} (replay with KILL_SEED=${seed}): ${kills} kills (${recoveryKillsAimed} during recovery, ${checkpointKillsAimed} aimed at a checkpoint, ${extraAims.length > 0 ? `${extraAims.length} more aimed (${tally(extraAims)}), ` : ''}${hastyRounds} before catch-up); ` +
        `${ledger.putsAcked.size} of ${ledger.putsSent.size} PutItems and ${opsAcked} of ${opsSent} ADDs acknowledged; ` +
        `${ledger.errorsBeforeKill} errors before kills; rounds ${Math.min(...roundMs)}..${Math.max(...roundMs)} ms; convergence ${Math.min(...convergeMs)}..${Math.max(...convergeMs)} ms`,
    );
    console.log(
      `kills during a checkpoint: ${duringCheckpoint.length} (${tally(duringCheckpoint)}; ${beforeMark.length} before its mark was in the B-tree); during recovery: ${duringRecovery.length} (${tally(duringRecovery)}); ` +
        `node recoveries: ${recoveries.length}, ${range(recoveries.map((r) => r.ms))} ms; log after the mark ${range(replays.map((r) => r.logKiB))} KiB, memtable rebuilt ${range(replays.map((r) => r.memtableKiB))} KiB`,
    );
    assert.ok(duringCheckpoint.length >= killsOfEachKindMin, `only ${duringCheckpoint.length} kills came during a checkpoint (KILL_SEED=${seed})`);
    assert.ok(duringRecovery.length >= killsOfEachKindMin, `only ${duringRecovery.length} kills came during recovery (KILL_SEED=${seed})`);
  } finally {
    await killChildServers();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

/** The kind of each round's kill (round `kills` has none: it checks and stops): the aimed ones at seeded rounds after the first. */
function killSchedule(random: Random): KillKind[] {
  const rounds = Array.from({ length: kills - 1 }, (_, i) => i + 1);
  for (let i = rounds.length - 1; i > 0; i--) {
    const j = random.int(0, i);
    [rounds[i], rounds[j]] = [rounds[j], rounds[i]];
  }
  const schedule: KillKind[] = Array.from({ length: kills + 1 }, () => 'timed');
  for (const round of rounds.slice(0, recoveryKillsAimed)) schedule[round] = 'recovery';
  for (const round of rounds.slice(recoveryKillsAimed, recoveryKillsAimed + checkpointKillsAimed)) schedule[round] = 'checkpoint';
  return schedule;
}

/**
 * Returns as soon as it reads that a node started a checkpoint, in the same turn of the event loop
 * (so the kill that follows comes before anything else is read), unless the same read says it is
 * durable already: then it waits for the next. After checkpointWaitMs without one, returns anyway.
 */
async function aimAtCheckpoint(server: WatchedServer): Promise<string> {
  const aimUntil = Date.now() + checkpointWaitMs;
  let from = server.output().length;
  for (let tries = 1; ; tries++) {
    const started = await server.waitFor(checkpointStartedLine, Math.max(0, aimUntil - Date.now()), from);
    if (started === null) return `no checkpoint to aim at in ${checkpointWaitMs} ms (${tries - 1} ended too soon)`;
    from += started.index + started[0].length;
    const durable = `storage node ${started[1]} (generation ${started[2]}): checkpoint durable in `;
    const stillUnderWay = !server
      .output()
      .slice(from)
      .split('\n')
      .some((line) => line.includes(durable) && line.endsWith(`mark LSN ${started[3]}`));
    if (stillUnderWay) return `aimed at ${started[1]}.${started[2]}@${started[3]} (try ${tries})`;
  }
}

async function listening(server: WatchedServer, when: string): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${when}: the server did not listen in ${startTimeoutMs} ms:\n${server.output()}`)), startTimeoutMs);
  });
  try {
    return await Promise.race([server.listening, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

// ---- what the server's output says ------------------------------------------------------------

/** A storage node's lines name it by id and generation (a replacement is another node). */
const nodeName = String.raw`storage node (\d+) \(generation (\d+)\)`;
const recoveryStarted = new RegExp(String.raw`${nodeName}: recovery started, replaying the log after its checkpoint mark \(LSN (\d+)\)`, 'g');
const recoveryDone = new RegExp(String.raw`${nodeName}: recovery done in (\d+) ms, log LSN \d+\.\.\d+ \((\d+) KiB\), memtable (\d+) KiB`, 'g');
const checkpointLine = new RegExp(String.raw`${nodeName}: checkpoint (started|durable)\b.*?, mark LSN (\d+)`, 'g');
const checkpointStartedLine = new RegExp(String.raw`${nodeName}: checkpoint started\b.*?, mark LSN (\d+)`);

interface Recovery {
  ms: number;
  logKiB: number;
  memtableKiB: number;
}

/** The nodes of a killed process that had started replaying their logs and not finished: the kill came during recovery. */
function recoveringAtKill(output: string): string[] {
  const done = new Set([...output.matchAll(recoveryDone)].map((m) => `${m[1]}.${m[2]}`));
  return [...output.matchAll(recoveryStarted)].map((m) => `${m[1]}.${m[2]}`).filter((node) => !done.has(node));
}

/** The nodes of a killed process whose last checkpoint had started and was not durable yet (as `node@mark`). */
function checkpointsAtKill(output: string): string[] {
  const underWay = new Map<string, number>();
  for (const m of output.matchAll(checkpointLine)) {
    const node = `${m[1]}.${m[2]}`;
    if (m[3] === 'started') underWay.set(node, Number(m[4]));
    else underWay.delete(node);
  }
  return [...underWay].map(([node, mark]) => `${node}@${mark}`);
}

/**
 * Of the checkpoints under way when the process that printed `killedOutput` was killed, those
 * whose mark was not in the B-tree yet: the next process (`nextOutput`) opened it at an older one.
 */
function checkpointsBeforeMark(killedOutput: string, nextOutput: string): string[] {
  const markAtRestart = new Map<string, number>();
  for (const m of nextOutput.matchAll(recoveryStarted)) markAtRestart.set(`${m[1]}.${m[2]}`, Number(m[3]));
  return checkpointsAtKill(killedOutput).filter((c) => {
    const [node, mark] = c.split('@');
    return markAtRestart.has(node) && markAtRestart.get(node)! < Number(mark);
  });
}

function recoveriesIn(output: string): Recovery[] {
  return [...output.matchAll(recoveryDone)].map((m) => ({ ms: Number(m[3]), logKiB: Number(m[4]), memtableKiB: Number(m[5]) }));
}

function tally(kinds: KillKind[]): string {
  const counts = new Map<KillKind, number>();
  for (const k of kinds) counts.set(k, (counts.get(k) ?? 0) + 1);
  return [...counts].map(([k, n]) => `${n} ${k === 'timed' ? 'timed' : `aimed at ${k}`}`).join(', ') || 'none';
}

function range(values: number[]): string {
  if (values.length === 0) return '-';
  const sorted = [...values].sort((a, b) => a - b);
  return `${sorted[0]}..${sorted[sorted.length - 1]} (median ${sorted[Math.floor(sorted.length / 2)]})`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

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
