import assert from 'node:assert/strict';
import { phasesView } from '@modelrun/contracts';
import { formatPhases, timeLeft } from '../../../apps/cli/src/output/phases';
import { DIGITS } from '../../fixtures/benchmark-definition';

const PHASED = {
  ...DIGITS,
  phases: [
    { name: 'development', start: '2027-01-01T00:00:00Z', end: '2027-02-01T00:00:00Z', quotas: { perDay: 20 } },
    { name: 'final', start: '2027-02-08T00:00:00Z', end: '2027-02-15T00:00:00Z' },
  ],
};

describe('modelrun benchmarks: phases', () => {
  it('says the time left in its two largest units', () => {
    assert.equal(timeLeft(3 * 86400 + 4 * 3600 + 59), '3d 4h');
    assert.equal(timeLeft(86400 + 30), '1d');
    assert.equal(timeLeft(2 * 3600 + 5 * 60), '2h 5m');
    assert.equal(timeLeft(12), '12s');
    assert.equal(timeLeft(0), '0s');
  });

  it('prints the open phase with the time left, the next one when closed, and each phase with its quotas', () => {
    const open = formatPhases(phasesView(PHASED, Date.parse('2027-01-31T22:00:00Z')));
    assert.match(open, /phase: open: development, 2h left \(until 2027-02-01T00:00:00Z\)/);
    assert.match(open, /development\s+2027-01-01T00:00:00Z\s+2027-02-01T00:00:00Z\s+20 a day\s+open, 2h left/);
    assert.match(open, /final\s+2027-02-08T00:00:00Z\s+2027-02-15T00:00:00Z\s+none\n/);
    assert.match(formatPhases(phasesView(PHASED, Date.parse('2027-02-07T00:00:00Z'))), /phase: closed: final opens at 2027-02-08T00:00:00Z \(in 1d\)/);
    assert.match(formatPhases(phasesView(PHASED, Date.parse('2027-03-01T00:00:00Z'))), /phase: closed: its last phase has ended/);
    assert.equal(formatPhases(phasesView(DIGITS, Date.now())), '');
  });
});
