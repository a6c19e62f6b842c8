/* A file the browser saves, made in the page (no second trip to the agent). */
export function download(fileName: string, mediaType: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: mediaType }));
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  document.body.append(link);
  link.click();
  link.remove();
  /* After the click has handed the blob to the download. */
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
