// Log lines in EXO's loguru format on stderr, with the ANSI colours EXO forces (`colorize=True`), so the
// supervisor's ANSI stripping and line capture see what they will see in the field.
export type LogLevel = 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR' | 'CRITICAL';

const COLOURS: Record<LogLevel, string> = {
  DEBUG: '\x1b[34m\x1b[1m',
  INFO: '\x1b[1m',
  WARNING: '\x1b[33m\x1b[1m',
  ERROR: '\x1b[31m\x1b[1m',
  CRITICAL: '\x1b[41m\x1b[1m',
};
const RESET = '\x1b[0m';
const GREEN = '\x1b[32m';

function clock(now: Date): string {
  const hours = now.getHours();
  const h12 = hours % 12 === 0 ? 12 : hours % 12;
  const pad = (value: number, width = 2) => String(value).padStart(width, '0');
  const tenThousandths = pad(Math.floor(now.getMilliseconds() * 10), 4);
  return `${pad(h12)}:${pad(now.getMinutes())}:${pad(now.getSeconds())}.${tenThousandths}${hours < 12 ? 'AM' : 'PM'}`;
}

/** `[ 03:04:05.1230PM | INFO     ] message`, coloured. */
export function exoLog(level: LogLevel, message: string): void {
  const line =
    `${GREEN}[ ${clock(new Date())} | ${RESET}${COLOURS[level]}${level.padEnd(8)}${RESET}${GREEN} ]${RESET} ` +
    `${COLOURS[level]}${message}${RESET}\n`;
  process.stderr.write(line);
}
