// Transcript search that works for Arabic: the model types a query without diacritics or
// with a different alef/yeh/teh-marbuta spelling than the transcript, and should still match.

const ARABIC_DIACRITICS = /[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e8\u06ea-\u06ed]/g;
const TATWEEL = /\u0640/g;
const COMBINING_MARKS = /\p{M}/gu;

/**
 * Folds text for matching: case, Latin accents, Arabic diacritics (harakat, shadda, sukun,
 * dagger alef, Quranic marks), tatweel, alef forms (آ أ إ ٱ → ا), alef maqsura (ى → ي),
 * teh marbuta (ة → ه), hamza carriers (ؤ → و, ئ → ي), Arabic-Indic digits, and whitespace.
 */
export function foldForSearch(text: string): string {
  return text
    .replace(ARABIC_DIACRITICS, "")
    .replace(TATWEEL, "")
    .replace(/[\u0622\u0623\u0625\u0671]/g, "\u0627")
    .replace(/\u0649/g, "\u064a")
    .replace(/\u0629/g, "\u0647")
    .replace(/\u0624/g, "\u0648")
    .replace(/\u0626/g, "\u064a")
    .replace(/[\u0660-\u0669]/g, (digit) => String(digit.charCodeAt(0) - 0x0660))
    .replace(/[\u06f0-\u06f9]/g, (digit) => String(digit.charCodeAt(0) - 0x06f0))
    .normalize("NFD")
    .replace(COMBINING_MARKS, "")
    .toLowerCase()
    .replace(/\s+/g, " ")
    .trim();
}

/** A reusable matcher: folds the query once. An empty query matches nothing. */
export function createTextMatcher(query: string): (text: string) => boolean {
  const folded = foldForSearch(query);
  if (!folded) return () => false;
  return (text) => foldForSearch(text).includes(folded);
}
