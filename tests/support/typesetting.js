// Line measurements of text blocks, run in the browser (Selenium's execute_script).
//
// arguments[0]: a CSS selector of the blocks to measure (visible ones only).
// Every character is measured with Range.getClientRects and the characters are grouped into
// the lines the reader sees. For every line that is not a block's last line it reports how far
// the line ends short of the block's content width, in full-width characters (the block's font
// size plus its letter spacing); which lines start with closing punctuation; and which lines
// start inside a phrase (not after a <wbr> or white space), and of those which inside a phrase
// marked too long to keep whole (.ja-long). For justified blocks the lines
// are measured again aligned to the start (same breaks, as justification does not move them)
// to report the space justification added between characters ("looseness", in em).
const selector = arguments[0];
const CLOSING = /^[.,:;!?)\]}”’。、．，：；！？）］｝」』】〕〉》・…ー〜～%％ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ]/u;
const range = document.createRange();

function characters(block) {
  const chars = [];
  let boundary = true; // a phrase boundary (<wbr> or white space) before the next character
  const walker = document.createTreeWalker(block, NodeFilter.SHOW_TEXT | NodeFilter.SHOW_ELEMENT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (node.nodeType === Node.ELEMENT_NODE) {
      if (node.tagName === "WBR") boundary = true;
      continue;
    }
    if (node.parentElement.closest(".visually-hidden")) continue;
    const text = node.data;
    for (let i = 0; i < text.length; ) {
      const size = text.codePointAt(i) > 0xffff ? 2 : 1;
      const ch = text.slice(i, i + size);
      if (/\s/u.test(ch)) {
        boundary = true;
      } else {
        range.setStart(node, i);
        range.setEnd(node, i + size);
        const rects = [...range.getClientRects()].filter((r) => r.width > 0 || r.height > 0);
        if (rects.length) {
          const r = rects[rects.length - 1];
          const long = Boolean(node.parentElement.closest(".ja-long"));
          chars.push({ ch, top: r.top, bottom: r.bottom, left: r.left, right: r.right, boundary, long });
          boundary = false;
        }
      }
      i += size;
    }
  }
  return chars;
}

function lines(block, charWidth) {
  const found = [];
  for (const c of characters(block)) {
    const line = found[found.length - 1];
    if (line && c.top < line.bottom - 2 && c.left >= line.end - charWidth * 0.3) {
      line.end = Math.max(line.end, c.right);
      line.bottom = Math.max(line.bottom, c.bottom);
      line.text += c.ch;
    } else {
      found.push({ first: c, end: c.right, bottom: c.bottom, text: c.ch });
    }
  }
  return found;
}

const result = {
  blocks: 0, lines: 0, nonFinal: 0, short: 0, shortSamples: [], punctuationStarts: [],
  splits: 0, longPhraseSplits: 0, splitSamples: [], looseness: [], looseSamples: [], charsPerLine: [],
};
for (const block of document.querySelectorAll(selector)) {
  if (!block.getClientRects().length) continue;
  const style = getComputedStyle(block);
  const fontSize = parseFloat(style.fontSize);
  const charWidth = fontSize + (parseFloat(style.letterSpacing) || 0);
  const box = block.getBoundingClientRect();
  const right = box.right - parseFloat(style.paddingRight) - parseFloat(style.borderRightWidth);
  const left = box.left + parseFloat(style.paddingLeft) + parseFloat(style.borderLeftWidth);
  const seen = lines(block, charWidth);
  if (!seen.length) continue;
  let natural = null;
  if (style.textAlign === "justify") {
    block.style.textAlign = "start";
    natural = lines(block, charWidth);
    block.style.textAlign = "";
  }
  result.blocks += 1;
  result.lines += seen.length;
  result.charsPerLine.push(Math.round(((right - left) / charWidth) * 10) / 10);
  seen.forEach((line, index) => {
    const join = (index > 0 ? seen[index - 1].text.slice(-6) : "") + "|" + line.text.slice(0, 6);
    if (index > 0 && CLOSING.test(line.first.ch)) result.punctuationStarts.push(join);
    if (index > 0 && !line.first.boundary) {
      result.splits += 1;
      if (line.first.long) result.longPhraseSplits += 1;
      else if (result.splitSamples.length < 30) result.splitSamples.push(join);
    }
    if (index === seen.length - 1) return;
    result.nonFinal += 1;
    const shortBy = (right - line.end) / charWidth;
    if (shortBy >= 2) {
      result.short += 1;
      if (result.shortSamples.length < 30) result.shortSamples.push(`${line.text.slice(-8)} (${shortBy.toFixed(1)})`);
    }
    if (natural && natural.length === seen.length && natural[index].text.length > 1) {
      const gap = (right - natural[index].end) / (natural[index].text.length - 1) / fontSize;
      result.looseness.push(Math.max(0, Math.round(gap * 1000) / 1000));
      if (gap > 0.25 && result.looseSamples.length < 30) result.looseSamples.push(`${line.text} (${gap.toFixed(2)}em)`);
    }
  });
}
result.height = document.documentElement.scrollHeight;
return result;
