/** A spinner with elapsed seconds on stderr, for slow work; only on a terminal, so logs and pipes stay clean. */
const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export function spinner(text: string, stream: NodeJS.WriteStream = process.stderr): () => void {
  if (!stream.isTTY) return () => {};
  const t0 = Date.now();
  let i = 0;
  const draw = () =>
    stream.write(`\r${FRAMES[i++ % FRAMES.length]} ${text} ${((Date.now() - t0) / 1000).toFixed(1)} s\x1b[K`);
  draw();
  const timer = setInterval(draw, 100);
  return () => {
    clearInterval(timer);
    stream.write('\r\x1b[K');
  };
}
