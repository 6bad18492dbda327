/* Sign-up form, progressive enhancement: live subdomain check and plan suggestion.
   The form works the same without it; the server checks everything again. */
(function () {
  "use strict";
  var form = document.getElementById("signup-form");
  if (!form || !window.fetch) { return; }
  var slug = form.querySelector("[name=slug]");
  var name = form.querySelector("[name=city_name]");
  var country = form.querySelector("[name=country]");
  var language = form.querySelector("[name=language]");
  var population = form.querySelector("[name=population]");
  var plan = form.querySelector("[name=plan]");
  var status = document.getElementById("slug-status");
  var slugEdited = slug.value !== "";
  var timer = null;

  function slugify(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
      .replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 40).replace(/-+$/, "");
  }

  function useSuggestion(value) {
    slug.value = value;
    slugEdited = true;
    check();
    slug.focus();
  }

  function check() {
    if (!slug.value) { status.textContent = ""; return; }
    var params = new URLSearchParams({ slug: slug.value, country: country.value, language: language.value });
    fetch(form.dataset.checkUrl + "?" + params.toString(), { headers: { Accept: "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        status.textContent = "";
        var text = data.error ? data.error.message : data.message;
        status.appendChild(document.createTextNode(text + " "));
        if (data.suggestion) {
          var button = document.createElement("button");
          button.type = "button";
          button.className = "button button-secondary";
          button.textContent = data.suggestion;
          button.addEventListener("click", function () { useSuggestion(data.suggestion); });
          status.appendChild(button);
        }
      })
      .catch(function () { status.textContent = ""; });
  }

  function later() { window.clearTimeout(timer); timer = window.setTimeout(check, 400); }

  slug.addEventListener("input", function () { slugEdited = slug.value !== ""; later(); });
  country.addEventListener("change", later);
  name.addEventListener("input", function () {
    if (!slugEdited) { slug.value = slugify(name.value); later(); }
  });
  form.querySelectorAll("[data-use-suggestion]").forEach(function (button) {
    button.addEventListener("click", function (event) {
      event.preventDefault();
      useSuggestion(button.getAttribute("data-use-suggestion"));
    });
  });
  population.addEventListener("input", function () {
    var count = parseInt(population.value, 10);
    if (!plan.dataset.touched && count > 0) {
      plan.value = count < 5000 ? "village" : count < 50000 ? "town" : "city";
    }
  });
  plan.addEventListener("change", function () { plan.dataset.touched = "1"; });
})();
