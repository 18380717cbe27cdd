// Says in the log why a signed request was refused (a signature that does not match, an unknown
// access key, ...), naming the access key id: the client only hears DynamoDB's terse error. At
// most one line per access key id and reason per interval, so a client retrying in a loop, or
// one guessing keys, cannot flood the log.
import type { DynamoError } from '../protocol/errors.ts';

/** At most one line per access key id and reason in this long. */
export const refusalLogIntervalMs = 60_000;
/** (access key id, reason) pairs remembered; the memory is cleared when it is full. */
const refusalLogEntriesMax = 4096;
/** An access key id is at most 128 characters (credentials.ts); a longer one is cut in the log. */
const loggedAccessKeyIdCharsMax = 128;
/** An error's message can quote the whole Authorization header: the log shows its start. */
const loggedMessageCharsMax = 300;

export class RefusalLog {
  /** `${accessKeyId}\n${reason}` → when it was last logged (ms). */
  private readonly loggedAtMs = new Map<string, number>();

  constructor(
    private readonly write: (line: string) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** Logs the refusal of a request signed with `accessKeyId`, unless the same one was logged less than refusalLogIntervalMs ago. */
  note(accessKeyId: string, error: DynamoError): void {
    const reason = reasonOf(error);
    const key = `${accessKeyId}\n${reason}`;
    const nowMs = this.now();
    const last = this.loggedAtMs.get(key);
    if (last !== undefined && nowMs - last < refusalLogIntervalMs) return;
    if (last === undefined && this.loggedAtMs.size >= refusalLogEntriesMax) this.loggedAtMs.clear();
    this.loggedAtMs.set(key, nowMs);
    const shownKeyId = JSON.stringify(cut(accessKeyId, loggedAccessKeyIdCharsMax));
    const why = error.kind.name === 'UnrecognizedClientException' ? 'unknown access key id (not in auth.credentials)' : `${error.kind.name}: ${cut(error.message, loggedMessageCharsMax)}`;
    this.write(`refused a request signed with access key id ${shownKeyId}: ${why} (logged at most once every ${refusalLogIntervalMs / 1000} s per access key id and reason)`);
  }
}

/**
 * What a refusal is, without the parts that change from request to request (dates in "Signature
 * expired: <date> is now earlier than ..."): the error type and its message up to the first colon.
 */
function reasonOf(error: DynamoError): string {
  const colon = error.message.indexOf(':');
  return `${error.kind.name} ${colon === -1 ? error.message : error.message.slice(0, colon)}`;
}

function cut(text: string, charsMax: number): string {
  return text.length > charsMax ? `${text.slice(0, charsMax)}...` : text;
}
