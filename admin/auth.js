// Sign-in: the local stage's dev tokens, or Cognito's Hosted UI
// (authorization code with PKCE) in AWS stages.
import { api, session } from "./api.js";

const config = window.CARELINE || {};

function base64url(bytes) {
  return btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export async function startHostedSignIn() {
  const { domain, clientId, redirectUri } = config.cognito;
  const verifier = base64url(crypto.getRandomValues(new Uint8Array(32)));
  const challenge = base64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
  const state = base64url(crypto.getRandomValues(new Uint8Array(16)));
  sessionStorage.setItem("careline.pkce", JSON.stringify({ verifier, state }));
  const query = new URLSearchParams({ response_type: "code", client_id: clientId, redirect_uri: redirectUri,
    scope: "openid email profile", code_challenge_method: "S256", code_challenge: challenge, state });
  location.assign(`${domain}/oauth2/authorize?${query}`);
}

export async function finishHostedSignIn() {
  const params = new URLSearchParams(location.search);
  const saved = JSON.parse(sessionStorage.getItem("careline.pkce") || "null");
  if (!params.get("code") || !saved || params.get("state") !== saved.state) return false;
  const { domain, clientId, redirectUri } = config.cognito;
  const response = await fetch(`${domain}/oauth2/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "authorization_code", client_id: clientId, code: params.get("code"),
      redirect_uri: redirectUri, code_verifier: saved.verifier }),
  });
  const tokens = await response.json();
  const claims = JSON.parse(atob(tokens.id_token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
  session.set(tokens.id_token, claims.email);
  sessionStorage.removeItem("careline.pkce");
  history.replaceState(null, "", location.pathname + "#/inbox");
  return true;
}

export async function devSignIn(email, role) {
  const { token } = await api("POST", "/_dev/token", { email, role });
  session.set(token, email);
}

export const usesDevSignIn = () => config.stage === "local";
