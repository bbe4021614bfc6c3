"""A small German sentiment lexicon for customer care, written for desk.

Source and licence: compiled by hand by the desk authors for this project
(valences on VADER's scale -4..+4, chosen by reading typical complaints about
trains, parcels, telecoms and shops), released under the project's own licence.
No third-party lexicon is copied: SentiWS (CC BY-NC-SA) and the germansentiment
model (a download at run time) did not fit. A word ending in "*" matches every
word that starts with it (German compounds and inflections).
"""

WORDS: dict[str, float] = {
    # negative: service failures
    "verspätung*": -2.0, "verspätet*": -2.0, "verspaetung*": -2.0, "zu spät": -1.5,
    "ausfall*": -2.0, "ausgefallen": -2.2, "fällt": -0.6, "entfällt": -1.5, "gestrichen": -1.6,
    "streik*": -1.8, "störung*": -1.8, "stoerung*": -1.8, "defekt*": -2.0, "kaputt*": -2.3,
    "sperrung*": -1.2, "gesperrt": -1.2, "chaos": -2.5, "chaotisch*": -2.3, "panne*": -2.0,
    "problem*": -1.5, "fehler*": -1.6, "mangel*": -1.6, "mängel": -1.6, "schaden*": -1.6,
    "beschwerde*": -2.0, "reklamation*": -1.6, "warte*": -0.8, "wartezeit*": -1.2,
    "verpasst*": -1.8, "überfüllt*": -2.0, "ueberfuellt*": -2.0, "voll": -0.4,
    "dreckig*": -2.2, "schmutzig*": -2.0, "stinkt": -2.3, "eklig*": -2.5, "laut": -0.6,
    "kalt": -0.5, "heiß": -0.3, "hitze": -0.7, "klimaanlage": -0.2, "unfall*": -2.0,
    "tödlich*": -2.6, "verletzt*": -2.2, "gestrandet": -2.2, "fest": -0.2, "festsitzen": -2.0,
    "unpünktlich*": -2.2, "unzuverlässig*": -2.4, "teuer*": -1.4, "überteuert*": -2.4,
    "abzocke*": -3.0, "abgezockt": -3.0, "betrug*": -3.0, "betrüger*": -3.2, "lüge*": -2.6,
    "gelogen": -2.6, "falsch*": -1.4, "verloren": -1.8, "kündig*": -1.6, "gekündigt": -1.4,
    "storn*": -1.0, "rückerstattung": -0.6, "erstattung": -0.4, "nie wieder": -2.8,
    "keine antwort": -2.4, "ignoriert": -2.3, "unfreundlich*": -2.5, "unhöflich*": -2.5,
    "frech*": -2.2, "inkompetent*": -3.0, "unverschämt*": -3.0, "unverschaemt*": -3.0,
    "zumutung": -3.0, "frechheit": -3.0, "katastroph*": -3.2, "desaster": -3.0,
    "skandal*": -3.0, "schlecht*": -2.3, "schlimm*": -2.4, "mies*": -2.5, "miserabel*": -3.0,
    "furchtbar*": -3.0, "schrecklich*": -3.0, "erschreckend*": -2.6, "grauenhaft*": -3.2,
    "peinlich*": -2.4, "lächerlich*": -2.4, "laecherlich*": -2.4, "absurd*": -2.0,
    "skurril*": -1.0, "nervig*": -2.0, "nervt": -2.2, "genervt": -2.2, "nerv*": -1.4,
    "ärger*": -2.2, "aerger*": -2.2, "wütend": -2.8, "wut*": -2.6, "sauer": -2.2,
    "enttäusch*": -2.4, "enttaeusch*": -2.4, "frust*": -2.4, "leider": -1.0,
    "traurig*": -2.0, "schade": -1.4, "hilflos*": -2.2, "ratlos*": -1.6, "unmöglich": -2.2,
    "unzumutbar*": -3.0, "sicherheitsrisiko": -2.4, "risiko": -1.2, "gefahr*": -1.6,
    "gefährlich*": -2.2, "mist": -2.5, "scheiß*": -3.2, "scheiss*": -3.2, "scheisse": -3.2,
    "kacke": -3.0, "verdammt*": -2.4, "fuck*": -3.0, "wtf": -2.5, "shit": -2.6,
    "bescheuert*": -2.8, "dumm*": -2.4, "idiot*": -3.0, "versagt*": -2.6, "versagen": -2.6,
    "ausrede*": -2.0, "lahm*": -1.8, "langsam*": -1.2, "umständlich*": -1.8, "kompliziert": -1.2,
    "tote füße": -2.5, "hart": -1.0, "schwierig*": -1.2, "randalier*": -2.2, "betrunken*": -1.6,
    "erliegen": -1.8, "blockiert": -1.6, "behindert": -1.8, "versäum*": -1.6,
    # positive
    "danke*": 1.6, "dankeschön": 2.0, "vielen dank": 2.2, "gut": 1.9, "gute*": 1.9,
    "super": 2.9, "toll*": 2.8, "klasse": 2.6, "prima": 2.5, "perfekt*": 3.0,
    "hervorragend*": 3.2, "ausgezeichnet*": 3.2, "exzellent*": 3.2, "spitze": 2.8,
    "wunderbar*": 3.0, "großartig*": 3.1, "grossartig*": 3.1, "genial*": 3.0, "geil*": 2.5,
    "cool*": 1.8, "schön*": 2.2, "schoen*": 2.2, "nett*": 1.9, "freundlich*": 2.2,
    "hilfsbereit*": 2.4, "hilfreich*": 2.2, "geholfen": 2.0, "hilfe": 0.4, "kompetent*": 2.4,
    "schnell*": 1.4, "pünktlich*": 1.8, "puenktlich*": 1.8, "zuverlässig*": 2.2,
    "bequem*": 1.6, "sauber*": 1.6, "günstig*": 1.4, "zufrieden*": 2.4, "freu*": 2.3,
    "glücklich*": 2.7, "gluecklich*": 2.7, "lieb*": 2.0, "empfehl*": 2.0, "lob*": 2.2,
    "bravo": 2.6, "top": 2.4, "angenehm*": 2.0, "entspannt*": 1.8, "witzig*": 1.6,
    "lustig*": 1.6, "haha*": 1.4, "hoffnung": 1.2, "besser": 1.4, "beste*": 2.6,
    "gelöst": 1.8, "geklappt": 1.8, "funktioniert": 1.2, "erfolgreich*": 2.0, "gerne": 1.4,
    "gern": 1.2, "love": 3.0, "thx": 1.6, "yeah": 1.8, "juhu": 2.6, "hurra": 2.6,
}

NEGATIONS = frozenset({
    "nicht", "kein", "keine", "keinen", "keinem", "keiner", "keines", "nie", "niemals",
    "nix", "nichts", "ohne", "weder", "noch nie", "kaum",
})

# Multipliers for the next sentiment word.
INTENSIFIERS: dict[str, float] = {
    "sehr": 1.3, "extrem": 1.5, "total": 1.4, "echt": 1.25, "mega": 1.4, "absolut": 1.4,
    "wirklich": 1.25, "so": 1.15, "zu": 1.1, "völlig": 1.4, "voellig": 1.4, "richtig": 1.25,
    "unglaublich": 1.5, "äußerst": 1.5, "aeusserst": 1.5, "besonders": 1.25, "ziemlich": 1.15,
    "super": 1.3, "komplett": 1.4, "dermaßen": 1.5, "immer": 1.1, "schon wieder": 1.4,
    "wieder": 1.15, "ständig": 1.4, "staendig": 1.4, "jedes mal": 1.3,
    "etwas": 0.7, "bisschen": 0.7, "wenig": 0.7, "eher": 0.8, "fast": 0.8,
}
