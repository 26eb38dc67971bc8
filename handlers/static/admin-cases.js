// The case list: "select every case on this page" for the bulk status change. Without
// script the boxes are ticked one by one and the list works the same.
document.addEventListener("DOMContentLoaded", () => {
  const all = document.getElementById("select-all");
  if (!all) return;
  const boxes = () => Array.from(document.querySelectorAll("#case-table input[name=number]"));
  all.closest("label").hidden = false;
  all.addEventListener("change", () => boxes().forEach((box) => { box.checked = all.checked; }));
  document.getElementById("case-table").addEventListener("change", () => {
    const ticked = boxes().filter((box) => box.checked).length;
    all.checked = ticked === boxes().length;
    all.indeterminate = ticked > 0 && ticked < boxes().length;
  });
});
