import assert from 'node:assert/strict';
import { identityOf, repositoryOf } from '@modelrun/runner';

const ID = `sha256:${'a'.repeat(64)}`;
const DIGEST = `sha256:${'b'.repeat(64)}`;

describe("an evaluator image's identity (the record's evaluatorImage)", () => {
  const CASES: [string, string, string[], string][] = [
    ['an image built on the host (no registry digest): its image id', 'modelrun/digits-evaluator:latest', [], ID],
    ['a pulled image: its repository at its registry digest', 'registry.example:5000/team/eval:1', [`registry.example:5000/team/eval@${DIGEST}`], `registry.example:5000/team/eval@${DIGEST}`],
    ['no tag: :latest, the same repository', 'team/eval', [`team/eval@${DIGEST}`], `team/eval@${DIGEST}`],
    ["another repository's digest only: the image id", 'team/eval:1', [`mirror.example/team/eval@${DIGEST}`], ID],
    ['named by digest: that digest', `team/eval@${DIGEST}`, [`team/eval@${DIGEST}`], `team/eval@${DIGEST}`],
  ];
  for (const [what, ref, digests, expected] of CASES) {
    it(what, () => assert.equal(identityOf(ref, ID, digests), expected));
  }

  it("splits a repository from its tag, not from a registry's port", () => {
    assert.equal(repositoryOf('registry.example:5000/eval'), 'registry.example:5000/eval');
    assert.equal(repositoryOf('registry.example:5000/eval:2'), 'registry.example:5000/eval');
  });
});
