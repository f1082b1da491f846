import type { FileHandle } from 'node:fs/promises';
import { SmolmapError } from '../../errors.js';

const WINDOW = 1 << 20;

/**
 * Sequential little-endian reads over a file through a 1 MiB window, so a header with tens of thousands of
 * strings (GGUF tokenizer metadata) costs a handful of syscalls. Every read is checked against the file size:
 * a length field can never make us allocate or read past the end of a hostile file.
 */
export class FileCursor {
  private buf = Buffer.alloc(0);
  private bufStart = 0;
  pos = 0;

  constructor(
    private readonly fh: FileHandle,
    readonly size: number,
    private readonly onTruncated: (need: number, at: number) => SmolmapError,
  ) {}

  get remaining(): number {
    return this.size - this.pos;
  }

  private async ensure(n: number): Promise<number> {
    if (n > this.remaining) throw this.onTruncated(n, this.pos);
    const off = this.pos - this.bufStart;
    if (off >= 0 && off + n <= this.buf.length) return off;
    const len = Math.min(Math.max(n, WINDOW), this.size - this.pos);
    const buf = Buffer.allocUnsafe(len);
    const { bytesRead } = await this.fh.read(buf, 0, len, this.pos);
    if (bytesRead < n) throw this.onTruncated(n, this.pos);
    this.buf = buf.subarray(0, bytesRead);
    this.bufStart = this.pos;
    return 0;
  }

  async bytes(n: number): Promise<Buffer> {
    const off = await this.ensure(n);
    this.pos += n;
    return Buffer.from(this.buf.subarray(off, off + n));
  }

  async u8(): Promise<number> {
    const off = await this.ensure(1);
    this.pos += 1;
    return this.buf.readUInt8(off);
  }
  async i8(): Promise<number> {
    const off = await this.ensure(1);
    this.pos += 1;
    return this.buf.readInt8(off);
  }
  async u16(): Promise<number> {
    const off = await this.ensure(2);
    this.pos += 2;
    return this.buf.readUInt16LE(off);
  }
  async i16(): Promise<number> {
    const off = await this.ensure(2);
    this.pos += 2;
    return this.buf.readInt16LE(off);
  }
  async u32(): Promise<number> {
    const off = await this.ensure(4);
    this.pos += 4;
    return this.buf.readUInt32LE(off);
  }
  async i32(): Promise<number> {
    const off = await this.ensure(4);
    this.pos += 4;
    return this.buf.readInt32LE(off);
  }
  async f32(): Promise<number> {
    const off = await this.ensure(4);
    this.pos += 4;
    return this.buf.readFloatLE(off);
  }
  async f64(): Promise<number> {
    const off = await this.ensure(8);
    this.pos += 8;
    return this.buf.readDoubleLE(off);
  }
  async u64(): Promise<bigint> {
    const off = await this.ensure(8);
    this.pos += 8;
    return this.buf.readBigUInt64LE(off);
  }
  async i64(): Promise<bigint> {
    const off = await this.ensure(8);
    this.pos += 8;
    return this.buf.readBigInt64LE(off);
  }

  /** UTF-8 string of `n` bytes. */
  async utf8(n: number): Promise<string> {
    const off = await this.ensure(n);
    this.pos += n;
    return this.buf.toString('utf8', off, off + n);
  }
}
