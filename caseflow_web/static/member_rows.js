// "增加 5 行" on the household form: add empty member rows in the page, keeping everything typed.
// Without script the same button posts the form, and the server answers with the typed values and
// five more rows (nothing is saved). No inline script: the Content-Security-Policy allows only 'self'.
(function () {
  var button = document.querySelector("button[name=add_rows]");
  var form = button && button.form;
  if (!form) { return; }
  var body = form.querySelector("table.members tbody");
  var count = form.querySelector("input[name=rows]");
  var max = parseInt(button.getAttribute("data-max") || "20", 10);

  function blankCopy(row, index) {
    var copy = row.cloneNode(true);
    copy.querySelectorAll("[name]").forEach(function (field) {
      field.name = field.name.replace(/^members-\d+-/, "members-" + index + "-");
      if (field.type === "checkbox") { field.checked = false; }
      else if (field.tagName === "SELECT") { field.selectedIndex = 0; }
      else { field.value = ""; }
    });
    copy.querySelectorAll(".field-error").forEach(function (e) { e.remove(); });
    copy.querySelector("td").textContent = String(index + 1);
    return copy;
  }

  button.addEventListener("click", function (event) {
    event.preventDefault();
    var rows = body.querySelectorAll("tr");
    var n = rows.length;
    var last = rows[n - 1];
    for (var i = n; i < Math.min(n + 5, max); i++) { body.appendChild(blankCopy(last, i)); }
    count.value = String(body.querySelectorAll("tr").length);
    if (body.querySelectorAll("tr").length >= max) { button.disabled = true; }
  });
})();
