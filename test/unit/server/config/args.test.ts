import { describe, expect, it } from '@jest/globals';
import { parseArgs, USAGE } from '../../../../server/src/config/args.js';
import { ConfigError } from '../../../../server/src/config/errors.js';

/** The message `parseArgs(argv)` refuses with (fails the test if it accepts). */
function refusal(argv: string[]): string {
  try {
    parseArgs(argv);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error(`parseArgs(${JSON.stringify(argv)}) accepted`);
}

describe('config/args', () => {
  describe('#parseArgs()', () => {
    it('should parse the operator flags in both forms', () => {
      expect(parseArgs(['--host', '127.0.0.3', '--port=0', '--backend', 'kubernetes', '--config', 'a.yaml'])).toEqual({
        host: '127.0.0.3',
        port: 0,
        backend: 'kubernetes',
        config: 'a.yaml'
      });
    });

    it('should reject unknown flags, missing values and bad ports', () => {
      expect(() => parseArgs(['--hots', 'x'])).toThrow(/unknown option --hots/);
      expect(() => parseArgs(['--port'])).toThrow(/--port needs a value/);
      expect(() => parseArgs(['--port', '70000'])).toThrow(/between 0 and 65535/);
    });

    it('should parse every flag the usage text and README name, the last of a repeated one winning', () => {
      expect(parseArgs([])).toEqual({});
      expect(parseArgs(['--help'])).toEqual({ help: true });
      expect(parseArgs(['-h', '--port', '8889'])).toEqual({ help: true, port: 8889 });
      expect(parseArgs(['--host=0.0.0.0', '--backend=local', '--config=/etc/sparkgate/config.yaml'])).toEqual({
        host: '0.0.0.0',
        backend: 'local',
        config: '/etc/sparkgate/config.yaml'
      });
      expect(parseArgs(['--port', '1', '--port', '2'])).toEqual({ port: 2 });
      for (const flag of ['--host', '--port', '--backend', '--config', '--help']) {
        expect(USAGE).toContain(flag);
      }
    });

    it('should refuse an unknown flag in one line that names it and the flags there are (issue 12)', () => {
      const message = refusal(['--port', '0', '--hots', '127.0.0.1']);
      expect(message).toBe('unknown option --hots; options: --host, --port, --backend, --config, --help');
      expect(refusal(['-x'])).toBe('unknown option -x; options: --host, --port, --backend, --config, --help');
      expect(refusal(['--confg=a.yaml'])).toMatch(/^unknown option --confg; /);
    });

    it('should refuse stray arguments, values of --help, and a flag where a value belongs', () => {
      expect(refusal(['serve'])).toBe("unexpected argument 'serve'; options: --host, --port, --backend, --config, --help");
      expect(refusal(['--help=yes'])).toBe('--help takes no value');
      expect(refusal(['--port', '--host', 'x'])).toBe("--port needs a value (got the flag-like '--host'; write --port=--host if it is the value)");
      expect(refusal(['--port=', '--host', 'x'])).toBe('--port must be an integer between 0 and 65535 (got )');
      expect(refusal(['--port', 'http'])).toBe('--port must be an integer between 0 and 65535 (got http)');
      for (const argv of [['--hots', 'x'], ['serve'], ['--port'], ['--port', '-1']]) {
        expect(refusal(argv)).not.toContain('\n');
      }
    });
  });
});
