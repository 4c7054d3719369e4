// redis-cli's ways, in JavaScript: how it splits an input line into
// arguments (sdssplitargs) and how it prints a reply on a terminal
// (cliFormatReplyTTY, sdscatrepr). The reply comes from
// POST /api/v1/execute with "typed": true: a tree of
// {type, value | base64} nodes (docs/API.md, "Typed replies").

const enc = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** base64 → bytes. */
export function fromBase64(s) {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** bytes → base64. */
export function toBase64(bytes) {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    bin += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  return btoa(bin);
}

/** The bytes of a typed node's text (value as UTF-8, or base64). */
export function nodeBytes(n) {
  if (n.base64 !== undefined) return fromBase64(n.base64);
  return enc.encode(String(n.value));
}

/** bytes → a string if they are UTF-8, else null. */
export function utf8(bytes) {
  try { return strictUtf8.decode(bytes); } catch { return null; }
}

/** An argument for the API: a string, or {base64} for non-UTF-8 bytes. */
export function apiArg(bytes) {
  const s = utf8(bytes);
  return s === null ? { base64: toBase64(bytes) } : s;
}

const isSpace = (c) => c === 0x20 || (c >= 0x09 && c <= 0x0d);
const isHex = (c) => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
const hexVal = (c) => (c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x61 + 10);

/**
 * Splits a line as redis-cli does (sdssplitargs): blanks separate
 * arguments; "double quotes" take \xHH, \n, \r, \t, \b, \a and \<c>
 * escapes; 'single quotes' take only \'; a closing quote must be followed
 * by a blank or the end. Returns arrays of bytes, or null for unbalanced
 * quotes ("Invalid argument(s)", as redis-cli says).
 */
export function splitArgs(line) {
  const p = enc.encode(line);
  const n = p.length;
  const at = (i) => (i < n ? p[i] : 0);
  const args = [];
  let i = 0;
  for (;;) {
    while (i < n && isSpace(p[i])) i++;
    if (i >= n) return args;
    let inq = false, insq = false, done = false;
    const cur = [];
    while (!done) {
      const c = at(i);
      if (inq) {
        if (c === 0x5c && at(i + 1) === 0x78 && isHex(at(i + 2)) && isHex(at(i + 3))) {
          cur.push(hexVal(at(i + 2)) * 16 + hexVal(at(i + 3)));
          i += 3;
        } else if (c === 0x5c && at(i + 1)) {
          i++;
          const e = at(i);
          cur.push({ 0x6e: 0x0a, 0x72: 0x0d, 0x74: 0x09, 0x62: 0x08, 0x61: 0x07 }[e] ?? e);
        } else if (c === 0x22) {
          if (at(i + 1) && !isSpace(at(i + 1))) return null;
          done = true;
        } else if (!c) {
          return null;
        } else {
          cur.push(c);
        }
      } else if (insq) {
        if (c === 0x5c && at(i + 1) === 0x27) {
          i++;
          cur.push(0x27);
        } else if (c === 0x27) {
          if (at(i + 1) && !isSpace(at(i + 1))) return null;
          done = true;
        } else if (!c) {
          return null;
        } else {
          cur.push(c);
        }
      } else if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09 || c === 0) {
        done = true;
      } else if (c === 0x22) {
        inq = true;
      } else if (c === 0x27) {
        insq = true;
      } else {
        cur.push(c);
      }
      if (i < n) i++;
    }
    args.push(Uint8Array.from(cur));
  }
}

/** sdscatrepr: bytes in double quotes, escaped as redis-cli shows them. */
export function repr(bytes) {
  let s = '"';
  for (const b of bytes) {
    switch (b) {
      case 0x5c: s += '\\\\'; break;
      case 0x22: s += '\\"'; break;
      case 0x0a: s += '\\n'; break;
      case 0x0d: s += '\\r'; break;
      case 0x09: s += '\\t'; break;
      case 0x07: s += '\\a'; break;
      case 0x08: s += '\\b'; break;
      default:
        s += b >= 0x20 && b <= 0x7e ? String.fromCharCode(b) : '\\x' + b.toString(16).padStart(2, '0');
    }
  }
  return s + '"';
}

const EMPTY = { array: '(empty array)', map: '(empty hash)', set: '(empty set)', push: '(empty push)' };

/**
 * A typed reply as redis-cli prints it on a terminal: a list of
 * [text, kind] pieces (kind 'error' for error replies, else ''), each
 * line ending in "\n". formatText() joins them.
 */
export function formatReply(node, prefix = '') {
  const out = [];
  const put = (text, kind = '') => out.push([text, kind]);
  switch (node.type) {
    case 'error': put(`(error) ${text(node)}\n`, 'error'); break;
    case 'status': put(`${text(node)}\n`); break;
    case 'integer': put(`(integer) ${node.value}\n`); break;
    case 'double': put(`(double) ${node.value}\n`); break;
    case 'bignum': put(`(big number) ${node.value}\n`); break;
    case 'bulk': put(`${repr(nodeBytes(node))}\n`); break;
    case 'verbatim': put(`${text(node)}\n`); break;
    case 'null': put('(nil)\n'); break;
    case 'boolean': put(node.value ? '(true)\n' : '(false)\n'); break;
    case 'array': case 'set': case 'push': case 'map': {
      const items = node.value || [];
      if (!items.length) { put(`${EMPTY[node.type]}\n`); break; }
      const width = String(items.length).length;
      const inner = prefix + ' '.repeat(width + 2);
      const sep = node.type === 'set' ? '~' : node.type === 'map' ? '#' : ')';
      items.forEach((item, i) => {
        const idx = String(i + 1).padStart(width, ' ');
        put(`${i === 0 ? '' : prefix}${idx}${sep} `);
        if (node.type === 'map') {
          const k = formatReply(item[0], inner);
          // redis-cli drops the key's newline and joins with " => "; a
          // value that is a non-empty aggregate starts on the next line.
          const last = k[k.length - 1];
          last[0] = last[0].replace(/\n$/, '');
          out.push(...k);
          put(multiline(item[1]) ? ` => \n${inner}` : ' => ');
          out.push(...formatReply(item[1], inner));
        } else {
          out.push(...formatReply(item, inner));
        }
      });
      break;
    }
    default:
      put(`(unknown reply type ${node.type})\n`, 'error');
  }
  return out;
}

/** Whether formatReply() puts a node on several lines (redis-cli's
 * cliIsMultilineValueTTY): such a map value starts on the next line. */
function multiline(n) {
  const v = n.value || [];
  switch (n.type) {
    case 'array': case 'set': case 'push':
      return v.length > 1 || (v.length === 1 && multiline(v[0]));
    case 'map':
      return v.length > 1 || (v.length === 1 && multiline(v[0][1]));
    default:
      return false;
  }
}

/** The text of formatReply(), as one string. */
export function formatText(node) {
  return formatReply(node).map((p) => p[0]).join('');
}

function text(n) {
  if (n.base64 === undefined) return String(n.value);
  // Status and error texts are shown raw by redis-cli; keep them readable.
  return new TextDecoder().decode(fromBase64(n.base64));
}

/**
 * A syntax line from COMMAND DOCS arguments, as the Redis docs write it:
 * `key value [NX | XX] [GET] [EX seconds | PX milliseconds | ...]`.
 */
export function syntax(args) {
  return (args || []).map(argSyntax).join(' ');
}

function argSyntax(a) {
  const flags = a.flags || [];
  let s;
  if (a.type === 'pure-token') s = a.token;
  else if (a.type === 'oneof') s = (a.arguments || []).map(argSyntax).join(' | ');
  else if (a.type === 'block') s = syntax(a.arguments);
  else s = a.name;
  if (a.token && a.type !== 'pure-token') s = `${a.token} ${s}`;
  if (flags.includes('multiple')) {
    const again = flags.includes('multiple_token') && a.token ? s : s.replace(new RegExp(`^${escapeRe(a.token || '')} `), '');
    s = `${s} [${again} ...]`;
  }
  if (flags.includes('optional')) s = `[${s}]`;
  else if (a.type === 'oneof' && (a.arguments || []).length > 1) s = `<${s}>`;
  return s;
}

function escapeRe(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
