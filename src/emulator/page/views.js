// Modals and the app's Home tab on the emulator's page, as Slack's client draws them closely enough
// for a screenshot: a modal's title, its blocks with their inputs, the errors the app answered under
// each input, and Close / Submit; the Home tab's blocks in place of the channel. Submitting sends the
// inputs' values to the emulator, which delivers a signed view_submission to the app.

import { escapeHtml, renderBlocks } from "/page/block-kit.js";

/** The modal's inputs as Slack reads them: by action_id, a select's chosen value, checkboxes' values. */
export function readInputs(form) {
  const values = {};
  for (const field of form.querySelectorAll("[data-input-action]")) {
    const actionId = field.dataset.inputAction;
    if (field.type === "checkbox") {
      values[actionId] ??= [];
      if (field.checked) values[actionId].push(field.value);
    } else values[actionId] = field.value;
  }
  return values;
}

function inputElement(element) {
  const actionId = escapeHtml(element.action_id ?? "");
  const placeholder = escapeHtml(element.placeholder?.text ?? "");
  const initial = escapeHtml(element.initial_value ?? "");
  if (element.type === "plain_text_input" && element.multiline)
    return `<textarea data-input-action="${actionId}" placeholder="${placeholder}" rows="3">${initial}</textarea>`;
  if (element.type === "static_select")
    return `<select data-input-action="${actionId}"><option value="">${placeholder || "Choose"}</option>${(element.options ?? []).map((o) => `<option value="${escapeHtml(o.value ?? "")}">${escapeHtml(o.text?.text ?? "")}</option>`).join("")}</select>`;
  if (element.type === "checkboxes")
    return (element.options ?? [])
      .map(
        (o) =>
          `<label><input type="checkbox" data-input-action="${actionId}" value="${escapeHtml(o.value ?? "")}"> ${escapeHtml(o.text?.text ?? "")}</label>`,
      )
      .join("");
  return `<input type="text" data-input-action="${actionId}" placeholder="${placeholder}" value="${initial}" autocomplete="off" spellcheck="false">`;
}

/** Blocks of a view, input blocks drawn as form fields with the app's error under each. */
export function renderViewBlocks(blocks, errors = {}) {
  return blocks
    .map((block) => {
      if (block.type !== "input") return renderBlocks([block], { ts: "", isEphemeral: false, view: true });
      const error = errors[block.block_id];
      const hint = block.hint?.text ? `<div class="input-hint">${escapeHtml(block.hint.text)}</div>` : "";
      return `<div class="block block-input" data-block-id="${escapeHtml(block.block_id ?? "")}">
        <label class="input-label">${escapeHtml(block.label?.text ?? "")}${block.optional ? ' <span class="optional">(optional)</span>' : ""}</label>
        ${inputElement(block.element ?? {})}${hint}
        ${error ? `<div class="input-error" role="alert" data-testid="modal-error">${escapeHtml(error)}</div>` : ""}
      </div>`;
    })
    .join("");
}

/** Draws (or removes) the person's top modal in the `<dialog id="modal">`; keeps typed values on redraw. */
export function showModal(dialog, modal) {
  if (!modal) {
    if (dialog.open) dialog.close();
    dialog.dataset.viewId = "";
    return;
  }
  const form = dialog.querySelector("form");
  const typed = dialog.dataset.viewId === modal.id ? readInputs(form) : {};
  dialog.dataset.viewId = modal.id;
  form.innerHTML = `<header class="modal-header"><h2 data-testid="modal-title">${escapeHtml(modal.title?.text ?? "")}</h2></header>
    <div class="modal-body">${renderViewBlocks(modal.blocks ?? [], modal.errors ?? {})}</div>
    <div class="modal-error" role="alert"></div>
    <menu>
      <button type="button" data-modal="close">${escapeHtml(modal.close?.text ?? "Cancel")}</button>
      ${modal.submit ? `<button type="submit" class="primary" data-modal="submit">${escapeHtml(modal.submit.text)}</button>` : ""}
    </menu>`;
  for (const field of form.querySelectorAll("[data-input-action]")) {
    const value = typed[field.dataset.inputAction];
    if (typeof value === "string") field.value = value;
  }
  if (!dialog.open) dialog.showModal();
}

/** The Home tab: the app's published view, or what Slack shows before the app published one. */
export function renderHome(blocks) {
  if (!blocks?.length) return `<p class="empty">drbot has not published its Home tab yet.</p>`;
  return renderViewBlocks(blocks);
}
