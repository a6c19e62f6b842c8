/* A palette that stays distinguishable for the common colour-vision deficiencies (Okabe-Ito), total first. */
const PALETTE = ['#0f6e6e', '#e69f00', '#0072b2', '#cc79a7', '#009e73', '#d55e00', '#56b4e9', '#7a6a00'];

export const seriesColor = (index: number) => PALETTE[index % PALETTE.length]!;

/* Event markers: red for a backend going down, green for up, grey for the node, blue for an operator's change. */
const MARKER_COLORS = { 'health-down': '#d55e00', 'health-up': '#009e73', node: '#6b6b6b', operator: '#0072b2' } as const;

export const markerColor = (kind: keyof typeof MARKER_COLORS) => MARKER_COLORS[kind];
