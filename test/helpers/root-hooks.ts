import { closeOpenWatches } from './container-watch';
import { stopInfra } from './infra';

/** Mocha root hooks: what a test may leave open is closed here, so mocha exits on its own. */
export const mochaHooks = {
  afterEach(): void {
    closeOpenWatches();
  },
  async afterAll(): Promise<void> {
    await stopInfra();
  },
};
