import { stopInfra } from './infra';

/** Mocha root hooks: the shared Redis started by any integration test is stopped at the end. */
export const mochaHooks = {
  async afterAll(): Promise<void> {
    await stopInfra();
  },
};
