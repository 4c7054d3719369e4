// Key names for the explorer: keys come from the API as strings, or as
// {base64} when they are not UTF-8; these helpers show them, put them in
// a URL path, pass them as command arguments, and group them on ':'.
import { fromBase64, repr } from '../console/format.js';

/** A stable identity for a key (for maps and sets). */
export function keyId(k) {
  return typeof k === 'string' ? 's:' + k : 'b:' + k.base64;
}

/** The key as people read it (binary keys escaped as redis-cli does). */
export function keyLabel(k) {
  return typeof k === 'string' ? k : repr(fromBase64(k.base64)).slice(1, -1);
}

/** The key percent-encoded for /api/v1/key/<key>. */
export function keyPath(k) {
  if (typeof k === 'string') return encodeURIComponent(k);
  return [...fromBase64(k.base64)].map((b) => '%' + b.toString(16).padStart(2, '0').toUpperCase()).join('');
}

/** A value (string or {base64}) as text for display. */
export function valueText(v) {
  if (v === null || v === undefined) return '';
  if (typeof v === 'object' && v.base64 !== undefined) return repr(fromBase64(v.base64));
  return String(v);
}

/** Hex dump of bytes: offset, 16 bytes in hex, and their ASCII. */
export function hexDump(bytes) {
  const lines = [];
  for (let i = 0; i < bytes.length; i += 16) {
    const row = bytes.subarray(i, i + 16);
    const hex = [...row].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    const asc = [...row].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    lines.push(`${i.toString(16).padStart(8, '0')}  ${hex.padEnd(47, ' ')}  |${asc}|`);
  }
  return lines.join('\n');
}

/**
 * Groups keys into a namespace tree on ':' ("user:1:name" sits under
 * "user" → "1"). Returns {children: Map(name → node), keys: [key]} where
 * a node is {name, path, children, keys, count}.
 */
export function namespaceTree(keys) {
  const root = { name: '', path: '', children: new Map(), keys: [], count: 0 };
  for (const k of keys) {
    root.count++;
    const label = keyLabel(k);
    const parts = label.split(':');
    let node = root;
    for (let i = 0; i < parts.length - 1; i++) {
      const name = parts[i];
      if (!node.children.has(name)) {
        node.children.set(name, { name, path: node.path + name + ':', children: new Map(), keys: [], count: 0 });
      }
      node = node.children.get(name);
      node.count++;
    }
    node.keys.push(k);
  }
  return root;
}
