// The report's copy of the paper's Table 1 (apps/report/data/paper-config.json) must say what the
// defaults say, so a run at the defaults shows no difference from the paper.
import { describe, expect, it } from 'vitest';
import { loadPaperConfig } from '@emofuse/report';
import { configDefaults } from '../../src/config/index.ts';
import { flattenConfig } from '../../src/pipeline/tracking.ts';

describe("the paper's Table 1 in the report", () => {
  it('matches the resolved defaults key by key, as the pipeline logs them', () => {
    // The params cover the slices a run's systems read: take the paper's whole Table 2 set.
    const logged = flattenConfig({ ...configDefaults(), systems: ['text-lstm', 'speech-cnn', 'joint-cnn'], fusion: { ...configDefaults().fusion, rules: ['weighted'] } });
    const paper = loadPaperConfig().params;
    for (const [key, value] of Object.entries(paper)) expect(logged[key], key).toBe(value);
  });
});
