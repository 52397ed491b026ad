// zh-CN by default, English switchable (?lang=en, or the switch, remembered per screen).
const params = new URLSearchParams(location.search);
export let lang = params.get("lang") || localStorage.getItem("gw-lang") || "zh-CN";
let table = {};

export async function loadLang(code = lang) {
  const res = await fetch(`/ui/i18n/${code === "en" ? "en" : "zh-CN"}.json`);
  table = await res.json();
  lang = code;
  document.documentElement.lang = code;
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
}

export function setLang(code) {
  localStorage.setItem("gw-lang", code);
  return loadLang(code);
}

/** Translate a key; {name} placeholders are filled from vars. Unknown keys show as themselves. */
export function t(key, vars = {}) {
  const text = table[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_m, k) => (k in vars ? String(vars[k]) : `{${k}}`));
}

/** The category's name in the current language. */
export const catName = (a) => (lang === "en" ? a.category_en : a.category_zh) || a.category;
