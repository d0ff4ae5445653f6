import { logUnhandledRejections } from '../../../src/commands/serve';

describe('serve and a promise rejection nobody handles', () => {
  test('is logged as an error naming the cause, and the process goes on', () => {
    const logged: { fields: unknown; message: string }[] = [];
    const remove = logUnhandledRejections({
      error: (fields: unknown, message: string) => logged.push({ fields, message }),
    } as never);
    try {
      // As Node reports one (Jest keeps real ones from the test's process object to fail the test).
      const rejected = Promise.reject(new Error('a lookup nobody awaited'));
      rejected.catch(() => undefined);
      process.emit('unhandledRejection', new Error('a lookup nobody awaited'), rejected);
      expect(logged).toHaveLength(1);
      expect(logged[0]?.message).toContain('unhandled promise rejection');
      expect(JSON.stringify(logged[0]?.fields)).toContain('a lookup nobody awaited');
    } finally {
      remove();
    }
  });
});
