// Channel roles per container, so loudness weights each channel by what it is (BS.1770:
// surrounds ×1.41, LFE excluded) whatever order the container stores channels in.

export type ChannelRole = "mono" | "left" | "right" | "center" | "lfe" | "surround" | "back-center" | "other";

/**
 * WAV (without a channel mask) and FLAC store channels in the WAVEFORMATEXTENSIBLE order:
 * FL FR FC LFE BL BR (FLC FRC) BC SL SR.
 */
const WAV_ORDER: Record<number, ChannelRole[]> = {
  1: ["mono"],
  2: ["left", "right"],
  3: ["left", "right", "center"],
  4: ["left", "right", "surround", "surround"],
  5: ["left", "right", "center", "surround", "surround"],
  6: ["left", "right", "center", "lfe", "surround", "surround"],
  7: ["left", "right", "center", "lfe", "back-center", "surround", "surround"],
  8: ["left", "right", "center", "lfe", "surround", "surround", "surround", "surround"],
};

/** Vorbis I §4.3.9, which Opus channel mapping family 1 follows: L C R, then surrounds, LFE last. */
const VORBIS_ORDER: Record<number, ChannelRole[]> = {
  1: ["mono"],
  2: ["left", "right"],
  3: ["left", "center", "right"],
  4: ["left", "right", "surround", "surround"],
  5: ["left", "center", "right", "surround", "surround"],
  6: ["left", "center", "right", "surround", "surround", "lfe"],
  7: ["left", "center", "right", "surround", "surround", "back-center", "lfe"],
  8: ["left", "center", "right", "surround", "surround", "surround", "surround", "lfe"],
};

/** WAVEFORMATEXTENSIBLE dwChannelMask bits, lowest first. */
const MASK_ROLES: ChannelRole[] = [
  "left", "right", "center", "lfe", "surround", "surround", "other", "other", "back-center", "surround", "surround",
];

export type ChannelOrder = "wav" | "vorbis";

export function channelRoles(count: number, order: ChannelOrder, wavChannelMask?: number): ChannelRole[] {
  if (order === "wav" && wavChannelMask) {
    const roles: ChannelRole[] = [];
    for (let bit = 0; bit < 32 && roles.length < count; bit++) if (wavChannelMask & (1 << bit)) roles.push(MASK_ROLES[bit] ?? "other");
    while (roles.length < count) roles.push("other");
    if (count === 1 && roles[0] !== "lfe") roles[0] = "mono";
    return roles;
  }
  const table = order === "vorbis" ? VORBIS_ORDER : WAV_ORDER;
  return table[count] ?? Array.from({ length: count }, () => "other");
}

/** BS.1770-4 weight of a channel: 1.41 (+1.5 dB) for surrounds, 0 for the LFE, 1 otherwise. */
export function loudnessWeight(role: ChannelRole): number {
  if (role === "lfe") return 0;
  if (role === "surround") return 1.41;
  return 1;
}
