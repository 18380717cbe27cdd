// Small DOM helpers: elements built in code (no inline HTML, so the page's strict content
// security policy holds), and DynamoDB attribute values shown as plain text.
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) el.addEventListener(name.slice(2).toLowerCase(), value);
    else if (name === 'className') el.className = value;
    else if (name === 'dataset') Object.assign(el.dataset, value);
    else if (name === 'value') {
      // The default too, so a form's reset() comes back to it.
      if (el instanceof HTMLInputElement) el.defaultValue = value;
      el.value = value;
    }
    else if (name === 'checked') el.checked = value;
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : String(child));
  }
}

const svgNs = 'http://www.w3.org/2000/svg';
export function svg(tag, attributes = {}, ...children) {
  const el = document.createElementNS(svgNs, tag);
  for (const [name, value] of Object.entries(attributes)) el.setAttribute(name, String(value));
  for (const child of children) if (child) el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return el;
}

/** An attribute value as a reader would write it: strings bare, numbers as numbers, maps and lists as JSON. */
export function plain(value) {
  if (value === undefined) return undefined;
  if ('S' in value) return value.S;
  if ('N' in value) return Number(value.N);
  if ('B' in value) return `<binary ${value.B}>`;
  if ('BOOL' in value) return value.BOOL;
  if ('NULL' in value) return null;
  if ('SS' in value) return value.SS;
  if ('NS' in value) return value.NS.map(Number);
  if ('BS' in value) return value.BS;
  if ('L' in value) return value.L.map(plain);
  if ('M' in value) return Object.fromEntries(Object.entries(value.M).map(([k, v]) => [k, plain(v)]));
  return value;
}

export function show(value) {
  const p = plain(value);
  if (p === undefined) return '';
  return typeof p === 'string' ? p : JSON.stringify(p);
}

export function bytes(n) {
  if (n === null || n === undefined) return '–';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

export function clock(ms) {
  return new Date(ms).toLocaleTimeString();
}
