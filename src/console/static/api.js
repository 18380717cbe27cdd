// The console's two channels to the server, both signed: the DynamoDB API (POST /) and the
// admin endpoints under /_monodyne/ (partitions, contributors, faults).
import { Signer } from './sigv4.js';

export class ApiError extends Error {
  constructor(name, message, status) {
    super(message);
    this.name = name;
    this.status = status;
  }
}

async function failure(res) {
  const text = await res.text();
  let body = {};
  try {
    body = JSON.parse(text);
  } catch {
    body = { message: text };
  }
  const type = typeof body.__type === 'string' ? body.__type.slice(body.__type.indexOf('#') + 1) : 'Error';
  return new ApiError(type, body.message ?? body.Message ?? body.error ?? `HTTP ${res.status}`, res.status);
}

export class Api {
  constructor(credentials, region) {
    this.signer = new Signer(credentials, region);
    this.accessKeyId = credentials.accessKeyId;
    this.region = region;
  }

  /** A DynamoDB operation, e.g. call('PutItem', { TableName, Item }). */
  async call(operation, input = {}) {
    const body = JSON.stringify(input);
    const headers = await this.signer.sign('POST', '/', { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `DynamoDB_20120810.${operation}` }, body);
    const res = await fetch('/', { method: 'POST', headers, body });
    if (!res.ok) throw await failure(res);
    return res.json();
  }

  /** An admin endpoint: admin('GET', 'partitions') or admin('POST', 'faults', { action: 'kill', worker: 1 }). */
  async admin(method, path, command) {
    const body = command === undefined ? '' : JSON.stringify(command);
    const url = `/_monodyne/${path}`;
    const headers = await this.signer.sign(method, url, command === undefined ? {} : { 'content-type': 'application/json' }, body);
    const res = await fetch(url, { method, headers, body: method === 'GET' ? undefined : body });
    if (!res.ok) throw await failure(res);
    return res.json();
  }
}
