/** Provider presets: the variable name each well-known provider's key is injected as. */
export const PRESET_NAMES: Readonly<Record<string, string>> = {
  openai: 'OPENAI_API_KEY',
  anthropic: 'ANTHROPIC_API_KEY',
  github: 'GITHUB_TOKEN',
  tinker: 'TINKER_API_KEY',
};

export const PRESET_PROVIDERS = Object.keys(PRESET_NAMES);
