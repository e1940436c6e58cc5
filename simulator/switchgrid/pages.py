"""The hosted consent pages (French), served under ``/c/{askId}``."""

from __future__ import annotations

from html import escape
from typing import Any
from urllib.parse import quote

from .model import Ask, Grant

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;"
    "padding:0 1rem;color:#1d2433}h1{font-size:1.4rem}"
    "button{font-size:1.1rem;padding:.6rem 1.6rem;background:#0a58ca;color:#fff;"
    "border:0;border-radius:.4rem;cursor:pointer}"
    ".box{border:1px solid #ccd;border-radius:.4rem;padding:.8rem 1rem;margin:1rem 0}"
)

_GRANT_LABELS = {
    "C68": "Données techniques et contractuelles (puissance souscrite, heures creuses)",
    "R63": "Courbe de charge",
    "R64": "Index journaliers",
    "R65": "Consommations quotidiennes",
    "R66": "Puissances maximales quotidiennes",
    "R67": "Mesures de facturation",
    "LOADCURVE": "Courbe de charge",
}
_DIRECTION_LABELS = {
    None: "",
    "SOUTIRAGE": " (consommation)",
    "CONSUMPTION": " (consommation)",
    "INJECTION": " (production injectée)",
}


def _page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body>{body}</body></html>"
    )


def _scope_items(grants: frozenset[Grant]) -> str:
    labels = sorted(
        {
            _GRANT_LABELS[flow] + _DIRECTION_LABELS.get(direction, "")
            for flow, direction in grants
        }
    )
    return "".join(f"<li>{escape(label)}</li>" for label in labels)


def consent_page(
    ask: Ask, holders: list[dict[str, Any]], redirect_to: str | None
) -> str:
    """Render the signature page of a pending Ask."""
    args = ask.create_args
    signer = args.get("signer", {})
    signer_name = f"{signer.get('firstName', '')} {signer.get('lastName', '')}"
    rows = "".join(
        "<li><strong>{}</strong> — PDL {}<br>{}</li>".format(
            escape(str(h["holder"])), escape(str(h["prm"])), escape(str(h["address"]))
        )
        for h in holders
    )
    action = f"/c/{ask.id}/sign"
    hidden = ""
    if redirect_to:
        action += "?redirectTo=" + quote(redirect_to, safe="")
        hidden = (
            f'<input type="hidden" name="redirectTo" value="{escape(redirect_to)}">'
        )
    body = (
        "<h1>Autorisation d'accès à vos données de consommation Enedis</h1>"
        f"<p>Je soussigné(e) <strong>{escape(signer_name.strip())}</strong> "
        "autorise l'accès aux données du ou des points de livraison suivants :</p>"
        f'<div class="box"><ul>{rows}</ul></div>'
        f"<p>Données concernées :</p><ul>{_scope_items(ask.grants)}</ul>"
        f"<p>Durée du consentement : <strong>{escape(ask.duration)}</strong> à "
        "compter de la signature.</p>"
        f'<form method="post" action="{escape(action)}">{hidden}'
        '<button type="submit" id="sign">Signer</button></form>'
        "<p><small>Simulateur GridMeter — page de consentement fictive.</small></p>"
    )
    return _page("Consentement Enedis", body)


def thank_you_page() -> str:
    """Shown after signing when no ``redirectTo`` was given."""
    return _page(
        "Merci",
        "<h1>Merci !</h1><p>Votre consentement a bien été enregistré. "
        "Vous pouvez fermer cette page.</p>",
    )


def status_page(title: str, message: str) -> str:
    """Render a page for an Ask that cannot be signed (signed, failed...)."""
    return _page(title, f"<h1>{escape(title)}</h1><p>{escape(message)}</p>")
