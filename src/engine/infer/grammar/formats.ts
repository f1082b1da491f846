import type { Program } from './program.js';

/**
 * String formats the grammar writes exactly, as byte patterns of the string's content (quotes excluded).
 * Each admits a subset of what ajv-formats (full mode) accepts, so grammar output always validates:
 * dates keep days that exist (29 February only in leap years), times have no leap second, hosts are ASCII.
 */
type FormatBuilder = (p: Program, next: number) => number;

const hex = (p: Program, n: number, next: number): number =>
  p.repeat(n, n, (x) => p.cls('0-9a-fA-F', x), next);
const d2 = (p: Program, first: string, second: string, next: number): number =>
  p.cls(first, p.cls(second, next));

function date(p: Program, next: number): number {
  const dash = (n: number): number => p.lit('-', n);
  // Day 01-28 in any month, 29-30 outside February, 31 in the seven long months (RFC 3339 §5.7).
  const anyDay = p.alt([d2(p, '0', '1-9', next), d2(p, '1', '0-9', next), d2(p, '2', '0-8', next)]);
  const day29or30 = p.alt([d2(p, '2', '9', next), d2(p, '3', '0', next)]);
  const day31 = d2(p, '3', '1', next);
  const month = (mm: string[], dayStart: number): number => p.alt(mm.map((m) => p.lit(m, dash(dayStart))));
  const all = ['01', '02', '03', '04', '05', '06', '07', '08', '09', '10', '11', '12'];
  const months = p.alt([
    month(all, anyDay),
    month(
      all.filter((m) => m !== '02'),
      day29or30,
    ),
    month(['01', '03', '05', '07', '08', '10', '12'], day31),
  ]);
  // 29 February in leap years: the last two digits a non-zero multiple of 4, or a century divisible by 400.
  const by4 = (n: number): number =>
    p.alt([p.lit('0', p.cls('48', n)), p.cls('2468', p.cls('048', n)), p.cls('13579', p.cls('26', n))]);
  const leapDay = p.lit('-02-29', next);
  const leapYear = p.alt([p.cls('0-9', p.cls('0-9', by4(leapDay))), by4(p.lit('00', leapDay))]);
  return p.alt([p.repeat(4, 4, (x) => p.cls('0-9', x), dash(months)), leapYear]);
}

function hourMinute(p: Program, next: number): number {
  const minute = d2(p, '0-5', '0-9', next);
  return p.alt([d2(p, '0-1', '0-9', p.lit(':', minute)), d2(p, '2', '0-3', p.lit(':', minute))]);
}

function time(p: Program, next: number): number {
  const zone = p.alt([p.lit('Z', next), p.cls('+\\-', hourMinute(p, next))]);
  const fraction = p.alt([
    zone,
    p.lit(
      '.',
      p.repeat(1, 6, (x) => p.cls('0-9', x), zone),
    ),
  ]);
  return hourMinute(p, p.lit(':', d2(p, '0-5', '0-9', fraction)));
}

/**
 * DNS-style host: 1-4 labels and a 2-6 letter top-level label (ajv-formats `url` wants a TLD). A label is
 * letters/digits with inner hyphens (RFC 1123 §2.1: `my-site`, never `-x` or `x-`), up to 4 hyphen-joined runs.
 */
function host(p: Program, next: number): number {
  const tld = p.lit(
    '.',
    p.repeat(2, 6, (x) => p.cls('a-zA-Z', x), next),
  );
  const run = (n: number): number => p.repeat(1, 63, (x) => p.cls('a-zA-Z0-9', x), n);
  const label = (n: number): number => run(p.repeat(0, 3, (x) => p.lit('-', run(x)), n));
  return label(p.repeat(0, 3, (x) => p.lit('.', label(x)), tld));
}

const URL_PATH_CHARS = "a-zA-Z0-9._~!$&'()*+,;=:@\\-";

function url(p: Program, next: number): number {
  const query = p.alt([
    next,
    p.lit(
      '?',
      p.repeat(1, 256, (x) => p.cls(`${URL_PATH_CHARS}/?`, x), next),
    ),
  ]);
  const segment = (n: number): number =>
    p.lit(
      '/',
      p.repeat(0, 128, (x) => p.cls(URL_PATH_CHARS, x), n),
    );
  const path = p.repeat(0, 12, segment, query);
  // An optional port (RFC 3986 §3.2.3) between the host and the path.
  const port = p.alt([
    path,
    p.lit(
      ':',
      p.repeat(1, 5, (x) => p.cls('0-9', x), path),
    ),
  ]);
  return p.lit('http', p.alt([p.lit('://', host(p, port)), p.lit('s://', host(p, port))]));
}

function email(p: Program, next: number): number {
  const atom = (n: number): number => p.repeat(1, 16, (x) => p.cls('a-zA-Z0-9_+\\-', x), n);
  const local = (n: number): number => atom(p.alt([n, p.lit('.', atom(n))]));
  return local(p.lit('@', host(p, next)));
}

function ipv4(p: Program, next: number): number {
  const octet = (n: number): number =>
    p.alt([
      p.cls('0-9', n),
      d2(p, '1-9', '0-9', n),
      p.lit('1', d2(p, '0-9', '0-9', n)),
      p.lit('2', d2(p, '0-4', '0-9', n)),
      p.lit('25', p.cls('0-5', n)),
    ]);
  return octet(p.lit('.', octet(p.lit('.', octet(p.lit('.', octet(next)))))));
}

export const FORMATS: Record<string, FormatBuilder> = {
  uuid: (p, next) =>
    hex(
      p,
      8,
      p.lit('-', hex(p, 4, p.lit('-', hex(p, 4, p.lit('-', hex(p, 4, p.lit('-', hex(p, 12, next)))))))),
    ),
  date,
  time,
  'date-time': (p, next) => date(p, p.lit('T', time(p, next))),
  email,
  hostname: host,
  ipv4,
  uri: url,
  url,
  'uri-reference': url,
  'iri-reference': url,
  iri: url,
};
