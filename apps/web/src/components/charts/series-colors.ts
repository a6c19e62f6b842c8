/* A palette that stays distinguishable for the common colour-vision deficiencies (Okabe-Ito), total first. */
const PALETTE = ['#0f6e6e', '#e69f00', '#0072b2', '#cc79a7', '#009e73', '#d55e00', '#56b4e9', '#7a6a00'];

export const seriesColor = (index: number) => PALETTE[index % PALETTE.length]!;
