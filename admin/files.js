// Files on a ticket (docs/attachments.md). A kept file downloads through a
// link the API signs for minutes: operator calls carry the token in a header,
// which a plain link cannot send, so the page asks for the link first. A
// reply's files go straight to the file store through a form the API signs
// for each one, and the reply then names their keys. Which types and sizes
// are accepted is the API's to say: its answers are shown, never guessed.
import { api, ApiError, save } from "./api.js";
import { bytes, h } from "./dom.js";
import { flash, problem } from "./ui.js";

const REFUSED = { type: "a file type we do not accept", empty: "empty", size: "too large", total: "over the message's size limit",
  count: "too many files", storage: "it could not be stored", virus: "the virus scan flagged the email" };

// The upload form's refusals are the API's words, said of this file.
const FIELDS = { type: (file) => `its type (${file.type || "unknown"})`, name: () => "its name" };

export function attachmentList(ticketId, list) {
  if (!list || !list.length) return "";
  return h("ul", { class: "attachments", "aria-label": "Attachments" }, list.map((file) => h("li", { class: file.refused ? "refused" : "" },
    file.refused ? h("span", { class: "file" }, file.name)
      : h("button", { type: "button", class: "file link", "aria-label": `Download ${file.name}`, onclick: () => fetchFile(ticketId, file) }, file.name),
    " ", h("span", { class: "meta" }, [bytes(file.size), file.type].filter(Boolean).join(" · ")),
    file.refused ? h("span", { class: "meta" }, ` · not kept: ${REFUSED[file.refused] || file.refused}`) : "")));
}

async function fetchFile(ticketId, file) {
  try {
    const link = await api("GET", `/tickets/${encodeURIComponent(ticketId)}/attachments/${file.sha256}`);
    save(link.url, link.name); // the link answers "attachment": the browser saves the file and stays here
  } catch (error) {
    flash(`${file.name} cannot be downloaded: ${problem(error)}`, "error");
  }
}

// The reply's files: each is uploaded as soon as it is chosen, so the
// operator sees at once whether it can go. `keys()` waits for the uploads
// and answers the keys to name in the reply, or throws while any file is refused.
export function replyFiles(ticketId) {
  const chosen = [];
  const input = h("input", { id: "reply-files", name: "files", type: "file", multiple: true, "aria-describedby": "reply-files-hint" });
  const list = h("ul", { class: "chosen-files", "aria-label": "Files to send" });
  input.addEventListener("change", () => {
    for (const file of input.files) add(file);
    input.value = ""; // choosing the same file again adds it again
  });

  function add(file) {
    const item = { file, state: "asking", sent: 0, key: null, error: null, request: null };
    // Built once and updated in place: progress events must not move the focus off "Remove".
    item.status = h("span", { class: "state" });
    item.progress = h("progress", { max: 100, value: 0, "aria-label": `Uploading ${file.name}`, hidden: true });
    item.row = h("li", {}, h("span", { class: "file" }, file.name), " ", h("span", { class: "meta" }, bytes(file.size)), " ",
      item.status, item.progress,
      h("button", { type: "button", class: "secondary remove-file", "aria-label": `Remove ${file.name}`, onclick: () => remove(item) }, "Remove"));
    chosen.push(item);
    list.append(item.row);
    show(item);
    item.done = upload(item);
  }

  function remove(item) {
    item.removed = true;
    item.request?.abort();
    chosen.splice(chosen.indexOf(item), 1);
    item.row.remove();
    input.focus();
  }

  function show(item) {
    const percent = Math.round(item.sent * 100);
    item.row.className = `chosen chosen-${item.state}`;
    item.status.textContent = { asking: "preparing…", uploading: `uploading ${percent} %`, ready: "ready to send",
      refused: `cannot be sent: ${item.error}` }[item.state];
    if (item.state === "refused") item.status.setAttribute("role", "alert");
    item.progress.hidden = item.state !== "uploading";
    item.progress.value = percent;
  }

  async function upload(item) {
    try {
      const form = await api("POST", `/tickets/${encodeURIComponent(ticketId)}/uploads`,
        { name: item.file.name, type: item.file.type || "application/octet-stream" });
      if (item.removed) return;
      // The signed form takes 1 byte to max_bytes: say so now rather than after the upload.
      if (!item.file.size) throw new Error("the file is empty");
      if (item.file.size > form.max_bytes) throw new Error(`larger than ${bytes(form.max_bytes)}, the most one file may be`);
      item.state = "uploading";
      show(item);
      await post(form, item);
      item.key = form.key;
      item.state = "ready";
    } catch (error) {
      if (item.removed) return;
      item.state = "refused";
      item.error = error instanceof ApiError && error.errors.length ? error.errors.map((e) => `${FIELDS[e.field] ? FIELDS[e.field](item.file) : e.field} ${e.message}`).join("; ")
        : problem(error);
    }
    show(item);
  }

  function post(form, item) {
    return new Promise((resolve, reject) => {
      const data = new FormData();
      for (const [name, value] of Object.entries(form.fields)) data.append(name, value);
      data.append("file", item.file); // last: S3 ignores fields after the file
      const request = new XMLHttpRequest();
      item.request = request;
      request.upload.addEventListener("progress", (event) => {
        if (!event.lengthComputable || item.removed) return;
        item.sent = event.loaded / event.total;
        show(item);
      });
      request.addEventListener("load", () => (request.status < 300 ? resolve()
        : reject(new Error(`the file store refused it (${storeMessage(request)})`))));
      request.addEventListener("error", () => reject(new Error("the upload did not reach the file store; remove it and try again")));
      request.addEventListener("abort", () => reject(new Error("upload cancelled")));
      request.open("POST", form.url);
      request.send(data);
    });
  }

  return {
    element: h("div", { class: "reply-files" }, h("label", { for: "reply-files" }, "Attach files"), input,
      h("span", { id: "reply-files-hint", class: "hint" }, "Each file is checked and uploaded as you add it; the reply waits until all are up."),
      list),
    uploading: () => chosen.some((item) => item.state === "asking" || item.state === "uploading"),
    async keys() {
      await Promise.all(chosen.map((item) => item.done));
      if (chosen.some((item) => item.state === "refused")) throw new Error("Remove the files that cannot be sent first.");
      return chosen.map((item) => item.key);
    },
    // A reply refused for its files names them `attachments.<n>`, in the order sent.
    refused(error) {
      for (const e of error instanceof ApiError ? error.errors : []) {
        const match = /^attachments\.(\d+)$/.exec(e.field);
        const item = match && chosen[Number(match[1])];
        if (!item) continue;
        item.state = "refused";
        item.error = e.message;
        show(item);
      }
    },
  };
}

function storeMessage(request) {
  const answer = new DOMParser().parseFromString(request.responseText || "", "application/xml");
  return answer.querySelector("Message")?.textContent || `HTTP ${request.status}`;
}
