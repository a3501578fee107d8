/** A password is at most 72 bytes: a longer first line is cut here and refused by PasswordSchema. */
const maxLineChars = 1024;

/**
 * The first line of standard input with its line ending (`\n` or `\r\n`) removed; what there is when
 * input ends first. At a terminal `prompt` is shown on stderr and what is typed is not (readTerminalLine).
 */
export function readStdinLine(stdin: NodeJS.ReadStream = process.stdin, prompt = ''): Promise<string> {
  return stdin.isTTY ? readTerminalLine(stdin, prompt) : readPipedLine(stdin);
}

function readPipedLine(stdin: NodeJS.ReadStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const finish = () => {
      stdin.off('data', onData).off('end', finish).off('error', reject);
      // Stop reading: the rest of the input is not ours, and must not keep the process alive.
      stdin.pause();
      const end = text.indexOf('\n');
      const line = end === -1 ? text : text.slice(0, end);
      resolve(line.endsWith('\r') ? line.slice(0, -1) : line);
    };
    const onData = (chunk: string) => {
      text += chunk;
      if (text.includes('\n') || text.length > maxLineChars) finish();
    };
    stdin.setEncoding('utf8');
    stdin.on('data', onData).once('end', finish).once('error', reject);
  });
}

/**
 * A line typed at a terminal, not echoed (raw mode, as `sudo` and `ssh` ask for passwords): Enter or
 * Ctrl-D ends it, Backspace takes back a character, Ctrl-C gives up (exit 130, as SIGINT would).
 * `prompt` is written once echo is off, so nothing typed after it appears can be shown; the terminal
 * is given back as it was before anything else happens.
 */
function readTerminalLine(stdin: NodeJS.ReadStream, prompt: string): Promise<string> {
  return new Promise((resolve) => {
    let line = '';
    const finish = (interrupted: boolean) => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      if (interrupted) process.exit(130);
      resolve(line);
    };
    const onData = (chunk: string) => {
      for (const char of chunk) {
        if (char === '\u0003') return finish(true);
        if (char === '\r' || char === '\n' || char === '\u0004') return finish(false);
        if (char === '\u007f' || char === '\b') line = Array.from(line).slice(0, -1).join('');
        else line += char;
        if (line.length > maxLineChars) return finish(false);
      }
    };
    stdin.setRawMode(true);
    process.stderr.write(prompt);
    stdin.setEncoding('utf8');
    stdin.on('data', onData);
  });
}

/** A reader that stops early (`keyward tenants list | head`) is no error: the rest of the output is dropped. */
export function dropOutputOnceReaderLeaves(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
    });
  }
}

/**
 * Exits once everything written to stdout and stderr has been handed to the OS. Writes to a pipe are
 * asynchronous in Node: process.exit right after a large write cuts the output short (with exit
 * code 0). A write's callback runs after every earlier write, so an empty write marks the end.
 */
export async function exitWhenFlushed(code: number): Promise<never> {
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  process.exit(code);
}

function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    // Called with an error too when the reader went away: the output cannot be delivered any more.
    stream.write('', () => resolve());
  });
}
