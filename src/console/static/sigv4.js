// AWS Signature Version 4 in the browser, with WebCrypto: every request the console sends is
// signed with the access key and secret given at sign-in, exactly as the AWS SDKs sign.
const encoder = new TextEncoder();

function hex(buffer) {
  return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, '0')).join('');
}

async function sha256Hex(text) {
  return hex(await crypto.subtle.digest('SHA-256', encoder.encode(text)));
}

async function hmac(keyBytes, text) {
  const key = await crypto.subtle.importKey('raw', keyBytes, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return new Uint8Array(await crypto.subtle.sign('HMAC', key, encoder.encode(text)));
}

function uriEncode(text) {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** YYYYMMDDTHHMMSSZ */
function amzDate(date) {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/** Whether this page can sign at all: WebCrypto exists only in secure contexts (HTTPS or loopback). */
export function canSign() {
  return typeof crypto !== 'undefined' && crypto.subtle !== undefined;
}

export class Signer {
  constructor(credentials, region) {
    this.credentials = credentials;
    this.region = region;
    /** day → signing key: the four-step HMAC chain once per day, as the server caches it too. */
    this.keys = new Map();
  }

  async signingKey(day) {
    let key = this.keys.get(day);
    if (key === undefined) {
      key = await hmac(encoder.encode(`AWS4${this.credentials.secretAccessKey}`), day);
      key = await hmac(key, this.region);
      key = await hmac(key, 'dynamodb');
      key = await hmac(key, 'aws4_request');
      this.keys.clear();
      this.keys.set(day, key);
    }
    return key;
  }

  /** The headers to send with a request to `path` on this server: `headers` plus X-Amz-Date and Authorization. */
  async sign(method, path, headers, body) {
    const stamp = amzDate(new Date());
    const day = stamp.slice(0, 8);
    const all = { ...headers, host: location.host, 'x-amz-date': stamp };
    const values = {};
    for (const [name, value] of Object.entries(all)) values[name.toLowerCase()] = String(value).trim().replace(/\s+/g, ' ');
    const names = Object.keys(values).sort();
    const canonicalHeaders = names.map((n) => `${n}:${values[n]}\n`).join('');
    const signedHeaders = names.join(';');
    const canonicalPath = path.split('/').map(uriEncode).join('/');
    const canonical = `${method}\n${canonicalPath}\n\n${canonicalHeaders}\n${signedHeaders}\n${await sha256Hex(body)}`;
    const scope = `${day}/${this.region}/dynamodb/aws4_request`;
    const toSign = `AWS4-HMAC-SHA256\n${stamp}\n${scope}\n${await sha256Hex(canonical)}`;
    const signature = hex(await hmac(await this.signingKey(day), toSign));
    return {
      ...headers,
      'x-amz-date': stamp,
      authorization: `AWS4-HMAC-SHA256 Credential=${this.credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`,
    };
  }
}
