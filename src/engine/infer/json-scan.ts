/**
 * An incremental scanner of a compact JSON prefix (the mapper's target text, target.ts): where the text stands
 * — inside which objects, under which keys, and whether the next character opens a key, continues one, or
 * belongs to a value. The decode-time processors (processors/) read it to tell which optional keys the answer can still write. It accepts
 * what the grammar emits (no whitespace between tokens) and does not validate beyond that.
 */

type State = 'value' | 'key' | 'inkey' | 'colon' | 'instr' | 'inscalar' | 'after';

interface Frame {
  kind: 'root' | 'obj' | 'arr';
  /** The key this container sits under in its parent object, '[]' inside an array, '' at the root. */
  key: string;
  keys: string[];
  state: State;
}

export class JsonScan {
  private frames: Frame[] = [{ kind: 'root', key: '', keys: [], state: 'value' }];
  private buf = '';
  private escaped = false;

  static of(text: string): JsonScan {
    const s = new JsonScan();
    s.feed(text);
    return s;
  }

  clone(): JsonScan {
    const c = new JsonScan();
    c.frames = this.frames.map((f) => ({ ...f, keys: [...f.keys] }));
    c.buf = this.buf;
    c.escaped = this.escaped;
    return c;
  }

  /** Containers open, the root included. */
  depth(): number {
    return this.frames.length;
  }

  /** Keys from the target object down to the innermost container (['query'], ['body', '[]'], …). */
  path(): string[] {
    return this.frames.slice(2).map((f) => f.key);
  }

  /** Keys written so far in the innermost object, in order. */
  keys(): readonly string[] {
    return this.top().keys;
  }

  /** True when the innermost container is an object (its keys, values or the gap between them). */
  inObject(): boolean {
    return this.top().kind === 'obj';
  }

  /** True where the next bytes name a key of the innermost object: after `{` or `,`, or inside a key. */
  atKeyName(): boolean {
    const f = this.top();
    return f.kind === 'obj' && (f.state === 'key' || f.state === 'inkey');
  }

  /**
   * What this scan (fed on from a clone taken at `depth` with `before` keys in that object) began in that
   * object: a completed key as `key"`, the typed part of a key, '' when a key is due but not begun, or null
   * when nothing key-like happened (a value continued, or the object closed).
   */
  keyStarted(depth: number, before: number): string | null {
    if (this.frames.length < depth) return null;
    const f = this.frames[depth - 1]!;
    if (f.keys.length > before) return `${f.keys[before]!}"`;
    if (this.frames.length > depth) return null;
    if (f.state === 'key') return '';
    if (f.state === 'inkey') return this.buf;
    return null;
  }

  /**
   * At a value of the innermost object: its key and the value's text typed so far ('' before its first
   * character, `"…` inside a string), else null.
   */
  valueAt(): { key: string; typed: string } | null {
    const f = this.top();
    const key = f.keys.at(-1);
    if (f.kind !== 'obj' || key === undefined) return null;
    if (f.state === 'value') return { key, typed: '' };
    if (f.state === 'instr') return { key, typed: `"${this.buf}` };
    return null;
  }

  feed(text: string): void {
    for (const ch of text) this.char(ch);
  }

  private top(): Frame {
    return this.frames[this.frames.length - 1]!;
  }

  private char(ch: string): void {
    const f = this.top();
    if (f.state === 'inkey' || f.state === 'instr') return this.stringChar(f, ch);
    if (f.state === 'inscalar' && /[-+.0-9a-zA-Z]/.test(ch)) return;
    if (f.state === 'inscalar') f.state = 'after';
    switch (ch) {
      case '{':
      case '[':
        this.open(f, ch === '{' ? 'obj' : 'arr');
        return;
      case '}':
      case ']':
        this.frames.pop();
        if (this.frames.length > 0) this.top().state = 'after';
        else this.frames.push({ kind: 'root', key: '', keys: [], state: 'after' });
        return;
      case '"':
        this.buf = '';
        f.state = f.kind === 'obj' && f.state === 'key' ? 'inkey' : 'instr';
        return;
      case ':':
        f.state = 'value';
        return;
      case ',':
        f.state = f.kind === 'obj' ? 'key' : 'value';
        return;
      default:
        f.state = 'inscalar';
    }
  }

  private open(parent: Frame, kind: 'obj' | 'arr'): void {
    const key = parent.kind === 'arr' ? '[]' : parent.kind === 'obj' ? (parent.keys.at(-1) ?? '') : '';
    parent.state = 'after'; // once this container closes, the parent's value is complete
    this.frames.push({ kind, key, keys: [], state: kind === 'obj' ? 'key' : 'value' });
  }

  private stringChar(f: Frame, ch: string): void {
    if (this.escaped) {
      this.escaped = false;
      this.buf += ch;
      return;
    }
    if (ch === '\\') {
      this.escaped = true;
      return;
    }
    if (ch !== '"') {
      this.buf += ch;
      return;
    }
    if (f.state === 'inkey') {
      f.keys.push(this.buf);
      f.state = 'colon';
    } else f.state = 'after';
  }
}
