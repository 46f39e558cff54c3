"""The words a medication name is read with: routes (English and es/fr/de/it/pt ward
words), salts, dosage forms, frequencies, joining words and plural or foreign
forms of "vaccine". Data only; `names` uses it."""

from __future__ import annotations

__all__ = [
    "DEFAULT_ROUTES",
    "FORM_WORDS",
    "PLURALS",
    "ROUTE_WORDS",
    "SALT_WORDS",
    "SYSTEMIC_ROUTES",
]

# ----------------------------------------------------------------- vocabulary

ROUTE_WORDS: dict[str, str] = {
    # oral
    "po": "oral",
    "oral": "oral",
    "orally": "oral",
    "mouth": "oral",
    "tablet": "oral",
    "tablets": "oral",
    "tab": "oral",
    "tabs": "oral",
    "capsule": "oral",
    "capsules": "oral",
    "cap": "oral",
    "caps": "oral",
    "syrup": "oral",
    "elixir": "oral",
    "odt": "oral",
    "sublingual": "oral",
    "sl": "oral",
    "buccal": "oral",
    "chewable": "oral",
    "enteral": "oral",
    # parenteral
    "iv": "parenteral",
    "ivpb": "parenteral",
    "intravenous": "parenteral",
    "intravenously": "parenteral",
    "im": "parenteral",
    "intramuscular": "parenteral",
    "sc": "parenteral",
    "sq": "parenteral",
    "subcut": "parenteral",
    "subcutaneous": "parenteral",
    "injection": "parenteral",
    "injectable": "parenteral",
    "inj": "parenteral",
    "infusion": "parenteral",
    "bolus": "parenteral",
    "intravesical": "intravesical",
    # other systemic
    "systemic": "systemic",
    "transdermal": "transdermal",
    "patch": "transdermal",
    "rectal": "rectal",
    "pr": "rectal",
    "suppository": "rectal",
    "supp": "rectal",
    "enema": "rectal",
    # local
    "topical": "topical",
    "topically": "topical",
    "cream": "topical",
    "ointment": "topical",
    "oint": "topical",
    "gel": "topical",
    "lotion": "topical",
    "foam": "topical",
    "shampoo": "topical",
    "cutaneous": "topical",
    "dermal": "topical",
    "ophthalmic": "ophthalmic",
    "eye": "ophthalmic",
    "eyes": "ophthalmic",
    "eyedrops": "ophthalmic",
    "ocular": "ophthalmic",
    "otic": "otic",
    "ear": "otic",
    "ears": "otic",
    "nasal": "nasal",
    "intranasal": "nasal",
    "nose": "nasal",
    "inhaled": "inhaled",
    "inhalation": "inhaled",
    "inhaler": "inhaled",
    "neb": "inhaled",
    "nebs": "inhaled",
    "nebulised": "inhaled",
    "nebulized": "inhaled",
    "nebuliser": "inhaled",
    "nebulizer": "inhaled",
    "aerosolised": "inhaled",
    "aerosolized": "inhaled",
    "vaginal": "vaginal",
    "pessary": "vaginal",
}
"""English route words and dosage forms that imply a route."""

_FOREIGNROUTE_WORDS: dict[str, str] = {
    # topical: es/pt pomada, crema/creme, unguento, topico; fr pommade, creme, topique,
    # cutane; de Salbe, Creme, topisch; it pomata, crema, unguento, topico
    **dict.fromkeys(
        [
            "pomada",
            "pommade",
            "pomata",
            "crema",
            "creme",
            "salbe",
            "unguento",
            "topico",
            "topica",
            "topique",
            "topisch",
            "cutane",
            "cutanea",
            "cutaneo",
            "kutan",
            "dermico",
            "dermica",
            "locion",
        ],
        "topical",
    ),
    # eye: fr collyre; es colirio; it collirio; pt colirio; de Augentropfen, Augensalbe
    **dict.fromkeys(
        [
            "collyre",
            "colirio",
            "collirio",
            "augentropfen",
            "augensalbe",
            "oftalmico",
            "oftalmica",
            "ophtalmique",
            "oftalmologico",
            "ophthalmisch",
        ],
        "ophthalmic",
    ),
    # oral: comprimido, comprime, compressa, tablette, capsula, gelule, kapsel, jarabe,
    # sirop, sciroppo, xarope, saft, oral/orale, per os, bucal
    **dict.fromkeys(
        [
            "comprimido",
            "comprimidos",
            "comprime",
            "comprimes",
            "compressa",
            "compresse",
            "tablette",
            "tabletten",
            "capsula",
            "capsulas",
            "capsule",
            "gelule",
            "gelules",
            "kapsel",
            "kapseln",
            "jarabe",
            "sirop",
            "sciroppo",
            "xarope",
            "saft",
            "orale",
            "oralmente",
            "bucal",
        ],
        "oral",
    ),
    # parenteral: inyectable, injectable, iniettabile, injetavel, intravenoso, endovenoso,
    # ev, e.v., perfusion, infusion, spritze, injektion
    **dict.fromkeys(
        [
            "inyectable",
            "inyeccion",
            "injetavel",
            "iniettabile",
            "iniezione",
            "intravenoso",
            "intravenosa",
            "endovenoso",
            "endovenosa",
            "ev",
            "perfusion",
            "perfusao",
            "infusione",
            "injektion",
            "spritze",
            "intraveineuse",
            "intramusculaire",
            "subcutaneo",
            "subcutanea",
            "sottocute",
        ],
        "parenteral",
    ),
    **dict.fromkeys(["parche", "pflaster", "cerotto", "adesivo", "transdermico"], "transdermal"),
    **dict.fromkeys(["supositorio", "suppositoire", "supposta", "zapfchen"], "rectal"),
    **dict.fromkeys(["nasal", "nasale", "nasenspray", "intranasale"], "nasal"),
    **dict.fromkeys(["inhalacion", "inhalation", "inalazione", "inalatorio"], "inhaled"),
}
"""Route words of other languages (accents already folded away)."""

ROUTE_WORDS.update({k: v for k, v in _FOREIGNROUTE_WORDS.items() if k not in ROUTE_WORDS})

SYSTEMIC_ROUTES = frozenset({"oral", "parenteral", "systemic", "transdermal", "rectal"})
"""Input routes that satisfy a name marked "(Systemic)"."""
DEFAULT_ROUTES = frozenset({"systemic", "oral"})
"""Route marks a name may carry and still match an input that gives no route."""


def _words(text: str) -> frozenset[str]:
    """The whitespace-separated words of `text` (keeps the vocabularies below compact)."""
    return frozenset(text.split())


SALT_WORDS = _words(
    """
    hydrochloride dihydrochloride hcl hydrobromide hbr sodium disodium potassium
    calcium magnesium succinate ethylsuccinate sulfate sulphate phosphate acetate
    citrate maleate mesylate mesilate dimesylate tartrate bitartrate fumarate
    hemifumarate besylate besilate decanoate lactobionate stearate estolate gluconate
    lactate hyclate monohydrate dihydrate trihydrate anhydrous meglumine dimeglumine
    isethionate tosylate malate napadisilate pamoate palmitate hydroxide bromide
    chloride
    """
)

FORM_WORDS = (
    # dosage forms and release types that say nothing about the route
    _words(
        """
        solution soln suspension susp drop drops gtt gtts spray liquid powder vial vials
        ampoule ampule amp bag pen prefilled syringe dose doses dosing film coated er xr
        sr cr xl la dr ec ir mr pfs kit concentrate
        """
    )
    # frequencies and instructions
    | _words(
        """
        daily bid tid qid qd od bd tds qds qhs hs prn stat once twice weekly nightly
        nocte mane every times morning evening night hourly q4h q6h q8h q12h q24h qam
        qpm qod x1 continuous push slow drip infuse give day days week weeks hour hours
        h hr hrs
        """
    )
    # units left behind by odd spacing ("3 million units", "mg / m2")
    | _words("mg mcg ug ml units unit iu mmol meq m2")
    # joining words
    | _words("of and or the for by with in to per via a an")
    # joining words and forms of other languages ("trioxido de arsenico", "gotas")
    | _words("de del la el le les di da do des d l y et und con mit e gotas gocce tropfen")
    | _words("contra contre contro gegen against")
)

PLURALS: dict[str, str] = {
    "vaccines": "vaccine",
    "agents": "agent",
    "products": "product",
    "derivatives": "derivative",
    "inhibitors": "inhibitor",
    "antibiotics": "antibiotic",
    "anesthetics": "anesthetic",
    "anaesthetics": "anesthetic",
    "anaesthetic": "anesthetic",
    "antipsychotics": "antipsychotic",
    "antidepressants": "antidepressant",
    "antiarrhythmics": "antiarrhythmic",
    "modulators": "modulator",
    "shots": "shot",
    "jabs": "jab",
    # the word "vaccine" in es/fr/it/pt/de
    "vacuna": "vaccine",
    "vacunas": "vaccine",
    "vaccin": "vaccine",
    "vaccins": "vaccine",
    "vaccino": "vaccine",
    "vaccini": "vaccine",
    "vacina": "vaccine",
    "vacinas": "vaccine",
    "impfstoff": "vaccine",
}
