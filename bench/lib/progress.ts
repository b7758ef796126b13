/** One status line on stderr, rewritten in place while a scenario runs. */
export function startProgress(describe: () => string): () => void {
  const tty = process.stderr.isTTY;
  const write = () => process.stderr.write(tty ? `\r\x1b[K${describe()}` : `${describe()}\n`);
  const timer = setInterval(write, tty ? 1000 : 10_000);
  write();
  return () => {
    clearInterval(timer);
    write();
    if (tty) process.stderr.write('\n');
  };
}
