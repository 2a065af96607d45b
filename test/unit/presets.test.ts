import { describe, expect, it } from 'vitest';
import { variableNameSchema } from '../../lib/secrets/names.js';
import { PRESET_NAMES, PRESET_PROVIDERS } from '../../lib/secrets/presets.js';

describe('provider presets', () => {
  it('name each well-known provider’s key as the contract’s table does', () => {
    expect(PRESET_NAMES).toEqual({
      openai: 'OPENAI_API_KEY',
      anthropic: 'ANTHROPIC_API_KEY',
      github: 'GITHUB_TOKEN',
      tinker: 'TINKER_API_KEY',
    });
    expect(PRESET_PROVIDERS).toEqual(['openai', 'anthropic', 'github', 'tinker']);
  });

  it('only ever name variables a user could have chosen', () => {
    for (const name of Object.values(PRESET_NAMES)) expect(variableNameSchema.safeParse(name).success, name).toBe(true);
  });
});
