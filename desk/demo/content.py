"""The demo's people, channels and conversations, written for desk (no third-party text).

Everything here is invented: people, handles, numbers and stories. Times are
hours before the moment the demo is loaded, so the queue always looks recent.
Passwords are for the demo only and printed on purpose; never use them elsewhere.
"""

from dataclasses import dataclass

from desk.models import ChannelKind, Priority, Role, Status

BAHN = "Bahn & Reisen"
TECHNIK = "Technik"
ABRECHNUNG = "Abrechnung"
TEAMS = (BAHN, TECHNIK, ABRECHNUNG)


@dataclass(frozen=True)
class DemoPerson:
    key: str
    email: str
    name: str
    roles: tuple[Role, ...]
    teams: tuple[str, ...]
    language: str
    password: str


PEOPLE = (
    DemoPerson("miriam", "admin@example.com", "Miriam Vogt", (Role.ADMIN,), (), "de",
               "demo-admin-2026"),
    DemoPerson("jonas", "supervisor@example.com", "Jonas Berger", (Role.SUPERVISOR,),
               TEAMS, "de", "demo-supervisor-2026"),
    DemoPerson("lea", "lea@example.com", "Lea Hoffmann", (Role.AGENT,), (BAHN,), "de",
               "demo-agent-2026"),
    DemoPerson("tom", "tom@example.com", "Tom Richter", (Role.AGENT,), (TECHNIK,), "de",
               "demo-agent-2026"),
    DemoPerson("sara", "sara@example.com", "Sara Yilmaz", (Role.AGENT,), (ABRECHNUNG, BAHN),
               "en", "demo-agent-2026"),
    DemoPerson("paul", "faq@example.com", "Paul Krüger", (Role.FAQ_EDITOR,), (), "de",
               "demo-faq-2026"),
)


@dataclass(frozen=True)
class DemoChannel:
    slug: str
    kind: ChannelKind
    name: str
    team: str | None
    language: str | None
    owner: str  # a DemoPerson key
    post_url: str | None  # where a post lives on the platform: this + its external id
    url: str | None = None  # the connector's URL (feed, server); demo hosts never resolve


CHANNELS = (
    DemoChannel("social-listening", ChannelKind.WEBHOOK, "Social Listening", BAHN, "de",
                "jonas", "https://listening.example/post/"),
    DemoChannel("contact-form", ChannelKind.FORM, "Kontaktformular", ABRECHNUNG, "de",
                "sara", None),
    DemoChannel("community-forum", ChannelKind.FEED, "Community-Forum", TECHNIK, "de",
                "tom", "https://forum.example/t/", "https://forum.example/latest.rss"),
    DemoChannel("mastodon", ChannelKind.MASTODON, "Mastodon @hilfe@social.example", TECHNIK,
                None, "tom", "https://social.example/@hilfe/", "https://social.example"),
    DemoChannel("x-service", ChannelKind.X, "X @desk_service", None, None, "jonas",
                "https://x.example/status/"),
)


@dataclass(frozen=True)
class Author:
    handle: str
    name: str
    reach: int = 0


@dataclass(frozen=True)
class Said:
    """An inbound message from the contact."""

    hours_ago: float
    text: str


@dataclass(frozen=True)
class Answered:
    """A reply from the team, by a DemoPerson key."""

    hours_ago: float
    by: str
    text: str


@dataclass(frozen=True)
class Noted:
    """An internal note, by a DemoPerson key."""

    hours_ago: float
    by: str
    text: str


Step = Said | Answered | Noted


@dataclass(frozen=True)
class DemoThread:
    key: str
    channel: str
    author: Author
    language: str
    timeline: tuple[Step, ...]
    subject: str | None = None
    status: Status | None = None  # None: whatever the timeline left
    priority: Priority = Priority.NORMAL
    assignee: str | None = None  # a DemoPerson key
    due_in_hours: float | None = None  # negative: overdue


def said(hours_ago: float, text: str) -> Said:
    return Said(hours_ago, text)


def answered(hours_ago: float, by: str, text: str) -> Answered:
    return Answered(hours_ago, by, text)


def noted(hours_ago: float, by: str, text: str) -> Noted:
    return Noted(hours_ago, by, text)


NEW, OPEN, PENDING, RESOLVED, SPAM = (
    Status.NEW, Status.OPEN, Status.PENDING, Status.RESOLVED, Status.SPAM,
)
LOW, NORMAL, HIGH, URGENT = Priority.LOW, Priority.NORMAL, Priority.HIGH, Priority.URGENT

_SOCIAL_LISTENING = (
    DemoThread(
        "sl-ice-koeln", "social-listening", Author("@pendelprofi", "Katrin Pendel", 1250), "de",
        (
            said(70, "ICE nach Köln heute 85 Minuten Verspätung und im Zug kein einziges Wort, "
                     "warum. Anschluss nach Aachen natürlich weg. #Bahn #Verspätung"),
            answered(69, "lea", "Hallo Katrin, das tut uns leid – 85 Minuten ohne Info geht so "
                                "nicht. Ab 60 Minuten Verspätung bekommst du 25 % des Fahrpreises "
                                "zurück, das Fahrgastrechte-Formular findest du online. Schick "
                                "uns gern deine Auftragsnummer per DM, dann schauen wir, was mit "
                                "dem Anschluss los war. /lh"),
            said(66, "Formular ist raus. Mal sehen, wie lange das diesmal dauert."),
            answered(65, "lea", "Danke dir! Die Bearbeitung dauert gerade etwa zwei Wochen. "
                                "Gute Fahrt heute Abend! /lh"),
        ),
        status=RESOLVED, assignee="lea",
    ),
    DemoThread(
        "sl-ausfall-hamburg", "social-listening", Author("@moin_malte", "Malte Jensen", 48200),
        "de",
        (
            said(5, "Zweiter Zugausfall in dieser Woche zwischen Hamburg und Berlin. Ich sitze "
                    "mit 200 Leuten an Gleis 13 und niemand sagt irgendwas. Das ist kein Service, "
                    "das ist ein Witz. #Zugausfall"),
            said(4.5, "Update: Ersatzzug angeblich in 40 Minuten. Angeblich."),
            noted(4.2, "jonas", "48k Follower, der Post wird gerade stark geteilt. Bitte zuerst "
                                "beantworten; Stand zum Ersatzzug bei der Betriebszentrale "
                                "erfragt."),
        ),
        status=OPEN, priority=URGENT, assignee="lea", due_in_hours=-0.5,
    ),
    DemoThread(
        "sl-fahrrad", "social-listening", Author("@radpendlerin", "Jule Brandt", 830), "de",
        (
            said(60, "Fahrradstellplatz reserviert, Fahrradabteil im IC war abgeschlossen. "
                     "Zugbegleiter zuckt mit den Schultern. Ich stehe jetzt mit Rad im Gang. "
                     "Toll."),
            answered(58, "sara", "Hallo Jule, das ist ärgerlich, sorry! Wenn die reservierte "
                                 "Fahrradkarte nicht genutzt werden konnte, erstatten wir sie. "
                                 "Schick uns bitte deine Buchungsnummer per DM. /sy"),
        ),
        status=PENDING, assignee="sara", due_in_hours=20,
    ),
    DemoThread(
        "sl-anschluss-fulda", "social-listening",
        Author("@schichtarbeiter_k", "Kemal Aydin", 310), "de",
        (
            said(30, "Anschluss in Fulda um 2 Minuten verpasst, der nächste Zug fährt in 2 "
                     "Stunden. Um 6 fängt meine Schicht an. Wer zahlt mir den Lohnausfall?"),
        ),
        priority=HIGH, due_in_hours=2,
    ),
    DemoThread(
        "sl-klima", "social-listening", Author("@sommerfrische", "Hannah Lenz", 2100), "de",
        (
            said(27, "Klimaanlage im ICE ausgefallen, 34 Grad in Wagen 24. Ein Kind ist fast "
                     "kollabiert. Wasser gab es erst nach einer Stunde. #hitze #bahn"),
            answered(26, "lea", "Hallo Hannah, das klingt wirklich schlimm – geht es dem Kind "
                                "wieder gut? Wir haben den Ausfall an die Fahrzeugtechnik "
                                "gemeldet. Für die Fahrt ohne Klimaanlage kannst du eine "
                                "Entschädigung beantragen, wir helfen dir gern dabei. /lh"),
            said(25, "Ja, alles wieder gut, danke. Wo beantrage ich das?"),
        ),
        status=OPEN, priority=HIGH, assignee="lea", due_in_hours=-1,
    ),
    DemoThread(
        "sl-sitzplatz", "social-listening", Author("@bahnfan_ole", "Ole Petersen", 540), "de",
        (
            said(48, "Reservierung für Wagen 9 bezahlt, Wagen 9 gibt es heute einfach nicht. "
                     "Wagenreihung umgedreht, niemand sagt Bescheid."),
            answered(47, "lea", "Hallo Ole, wenn der Wagen fehlt, bekommst du die "
                                "Reservierungsgebühr zurück – mit dem Fahrgastrechte-Formular "
                                "oder im Reisezentrum. Sorry für den Stress! /lh"),
        ),
        status=RESOLVED, assignee="lea",
    ),
    DemoThread(
        "sl-stellwerk", "social-listening",
        Author("@nordblick_live", "Redaktion Nordblick", 61000), "de",
        (
            said(3, "Stellwerksstörung bei Hannover: Der Fernverkehr Richtung Hamburg fällt bis "
                    "auf Weiteres aus. Wir bitten um eine Stellungnahme für unseren Liveblog. "
                    "#Störung"),
            noted(2.5, "jonas", "Presseanfrage – an die Pressestelle weitergeleitet. Wir "
                                "antworten nur mit dem offiziellen Statement."),
        ),
        priority=URGENT, due_in_hours=1,
    ),
    DemoThread(
        "sl-erstattung-wartezeit", "social-listening",
        Author("@frau_mueller_ffm", "Sabine Müller", 95), "de",
        (
            said(71, "Seit 7 Wochen warte ich auf meine Erstattung für den ausgefallenen Zug. "
                     "3 Mails, keine Antwort. Muss ich erst zur Schlichtungsstelle?"),
            noted(50, "sara", "Antrag im Fahrgastrechte-System gefunden, hängt in der Prüfung. "
                              "Kollegen dort angeschrieben."),
            answered(49, "sara", "Hallo Frau Müller, entschuldigen Sie bitte die lange "
                                 "Wartezeit. Ihr Antrag liegt vor und ist jetzt zur bevorzugten "
                                 "Bearbeitung markiert. Sie hören in den nächsten Tagen von uns. "
                                 "/sy"),
            said(20, "Immer noch nichts auf dem Konto."),
        ),
        status=OPEN, priority=HIGH, assignee="sara", due_in_hours=-3,
    ),
    DemoThread(
        "sl-lob", "social-listening", Author("@zugvogel_anna", "Anna Winter", 410), "de",
        (
            said(40, "Muss auch mal sagen: Die Zugbegleiterin im RE nach Lübeck hat heute einer "
                     "älteren Dame mit dem Koffer geholfen und jeden Anschluss durchgesagt. "
                     "Danke! 👏"),
            answered(39, "lea", "Danke, Anna, das geben wir sehr gern ans Team weiter! 😊 /lh"),
        ),
        status=RESOLVED, priority=LOW,
    ),
    DemoThread(
        "sl-wlan", "social-listening", Author("@digital_nomadin", "Fiona Krebs", 12800), "de",
        (
            said(9, "WLAN im ICE seit Frankfurt tot. Vier Stunden Fahrt und ein Kundentermin per "
                    "Video. Danke für nichts. #WLAN"),
        ),
        priority=HIGH, due_in_hours=3,
    ),
    DemoThread(
        "sl-toilette", "social-listening", Author("@papa_von_drei", "Stefan Koch", 180), "de",
        (
            said(33, "Alle Toiletten im Zug defekt, drei Stunden Fahrt mit drei Kindern. "
                     "Ernsthaft?"),
            answered(32, "lea", "Hallo Stefan, das ist eine Zumutung, tut uns leid. Wir haben "
                                "den Zug an die Instandhaltung gemeldet. Schick uns gern deine "
                                "Buchung, wir prüfen eine Kulanz. /lh"),
        ),
        status=PENDING, assignee="lea", due_in_hours=30,
    ),
    DemoThread(
        "sl-nachtzug", "social-listening", Author("@nachtzugliebe", "Marie Scholz", 3400), "de",
        (
            said(55, "Nachtzug nach Wien gestrichen, die Info kam um 23:40 per Mail, Abfahrt "
                     "wäre 23:58 gewesen. Hotel in München selbst bezahlt. Bekomme ich das "
                     "wieder?"),
            answered(53, "sara", "Hallo Marie, ja: Fällt ein Nachtzug aus und du musst "
                                 "übernachten, erstatten wir angemessene Hotelkosten. Reich die "
                                 "Rechnung bitte mit dem Fahrgastrechte-Formular ein. /sy"),
            said(52, "Danke, das war schnell. Mach ich."),
        ),
        status=RESOLVED, assignee="sara",
    ),
    DemoThread(
        "sl-schienenersatz", "social-listening", Author("@landei_bernd", "Bernd Kowalski", 75),
        "de",
        (
            said(22, "Schienenersatzverkehr ab Göttingen, aber kein Schild, kein Bus, keine "
                     "Ahnung, wo ich hin soll. Seit 30 Minuten irre ich um den Bahnhof."),
        ),
        priority=HIGH, due_in_hours=-18,
    ),
    DemoThread(
        "sl-bahncard", "social-listening", Author("@vielfahrerin_jo", "Johanna Berg", 990), "de",
        (
            said(44, "BahnCard verlängert und bezahlt, die neue Karte ist nicht da und die App "
                     "zeigt sie nicht an. Der Zugbegleiter will eine Fahrpreisnacherhebung. "
                     "Wie bitte?"),
            answered(43, "sara", "Hallo Johanna, das klären wir. Der Nacherhebung kannst du mit "
                                 "dem Zahlungsnachweis widersprechen. Schick uns bitte per DM "
                                 "deine Kartennummer, dann prüfen wir, warum sie nicht in der "
                                 "App erscheint. /sy"),
            noted(42, "sara", "Kartennummer per DM erhalten; an den Kartenservice übergeben, "
                              "Vorgangsnummer steht im DM-Verlauf."),
        ),
        status=PENDING, assignee="sara", due_in_hours=6,
    ),
    DemoThread(
        "sl-gleiswechsel", "social-listening", Author("@eilig_unterwegs", "Tim Hartmann", 260),
        "de",
        (
            said(1.5, "Gleiswechsel 2 Minuten vor Abfahrt, von Gleis 3 auf 17. Wer soll das mit "
                      "Gepäck schaffen? Zug weg."),
        ),
        due_in_hours=4,
    ),
    DemoThread(
        "sl-handyticket", "social-listening", Author("@student_lukas", "Lukas Neumann", 150),
        "de",
        (
            said(15, "Handyticket lädt im Funkloch nicht, der Kontrolleur schreibt mich auf. "
                     "Das Ticket ist doch bezahlt!"),
        ),
    ),
    DemoThread(
        "sl-einstiegshilfe", "social-listening", Author("@rollstuhl_reisen", "Petra Schulz", 7600),
        "de",
        (
            said(12, "Zum dritten Mal war die angemeldete Einstiegshilfe nicht da. Ich musste "
                     "einen Zug später nehmen und stand eine Stunde in der Kälte. Barrierefreiheit "
                     "nur auf dem Papier. #inklusion"),
            noted(11, "jonas", "Bitte heute noch persönlich antworten; die "
                               "Mobilitätsservice-Zentrale ist informiert."),
        ),
        status=OPEN, priority=URGENT, assignee="lea", due_in_hours=1,
    ),
    DemoThread(
        "sl-spam", "social-listening", Author("@crypto_gains_4u", "Crypto Gains", 22), "de",
        (said(18, "🚀 Verdopple deine Bitcoin in 24h! Klick auf den Link in meiner Bio!!! "
                  "#bahn #zug #geld"),),
        status=SPAM, priority=LOW,
    ),
    DemoThread(
        "sl-sparpreis", "social-listening", Author("@sparfuchs_tina", "Tina Vogel", 430), "de",
        (
            said(36, "Sparpreis gebucht, der Zug fällt aus, und jetzt soll die Zugbindung "
                     "trotzdem gelten? Ich soll also einfach hier bleiben?"),
            answered(35, "lea", "Hallo Tina, nein! Fällt dein Zug aus, ist die Zugbindung "
                                "aufgehoben und du kannst jeden anderen Zug zum Ziel nehmen. "
                                "Zeig im Zug einfach dein Ticket. /lh"),
        ),
        status=RESOLVED, assignee="lea",
    ),
    DemoThread(
        "sl-re7", "social-listening", Author("@taeglich_im_re", "Sven Albrecht", 680), "de",
        (
            said(8, "Jeden. Einzelnen. Tag. Der RE 7 ist mindestens 15 Minuten zu spät. Ich "
                    "pendle seit vier Jahren und es wird immer schlimmer."),
        ),
        due_in_hours=16,
    ),
    DemoThread(
        "sl-salzburg", "social-listening", Author("@lisa_on_rails", "Lisa Moreau", 2600), "en",
        (
            said(31, "Train from Munich to Salzburg cancelled and every announcement is only in "
                     "German. No idea what to do. Any help? #travel"),
            answered(30, "sara", "Hi Lisa, sorry about that! Your ticket is valid on the next "
                                 "train, leaving 14:55 from platform 11. Keep your ticket, you "
                                 "can claim compensation afterwards. /sy"),
            said(29.5, "Made it, thank you so much!"),
        ),
        status=RESOLVED, assignee="sara",
    ),
    DemoThread(
        "sl-kassel-bike", "social-listening", Author("@cycling_tom", "Tom Baker", 18900), "en",
        (
            said(3.5, "Booked a bike space, the conductor refused to let me board because 'the "
                      "bike compartment is full'. Stranded in Kassel. Well done."),
        ),
        status=OPEN, priority=HIGH, assignee="sara", due_in_hours=0.5,
    ),
)

_X_SERVICE = (
    DemoThread(
        "x-parcel-lost", "x-service", Author("@dan_ships", "Daniel Carter", 2300), "en",
        (
            said(50, "Parcel tracking has said 'out for delivery' for 9 days. Nobody knows where "
                     "it is. It was a birthday present. #lostparcel"),
            answered(48, "sara", "Hi Daniel, sorry to hear that. Please DM us the tracking "
                                 "number and we'll start a search with the depot right away. ^SY"),
            said(47, "DM sent."),
            noted(46, "sara", "Suchauftrag gestartet, das Depot meldet sich binnen 48 Stunden."),
        ),
        status=PENDING, assignee="sara", due_in_hours=2,
    ),
    DemoThread(
        "x-double-charge", "x-service", Author("@emma_writes", "Emma Wilson", 41200), "en",
        (
            said(6, "Just got charged TWICE for the same order. Support chat closed, phone line "
                    "'too busy'. Really great way to treat customers. Anyone else?"),
            said(5.5, "And now my bank shows a third pending charge. This is getting ridiculous."),
            noted(5, "jonas", "41k Follower – Abrechnung prüft, ob mehrere Kunden betroffen "
                              "sind (Zahlungsdienstleister?)."),
        ),
        priority=URGENT, due_in_hours=-1,
    ),
    DemoThread(
        "x-app-login", "x-service", Author("@mike_on_the_go", "Mike Russo", 870), "en",
        (
            said(14, "App keeps saying 'session expired' every time I try to log in. Reinstalled "
                     "twice. Can't show my ticket now. Help?"),
            answered(13, "tom", "Hi Mike, we know about a login problem in app version 5.2 on "
                                "Android; a fix is rolling out today. Until then your ticket is "
                                "also attached to your confirmation email as a PDF. ^TR"),
        ),
        status=PENDING, assignee="tom", due_in_hours=10,
    ),
    DemoThread(
        "x-router-rot", "x-service", Author("@gamer_jan", "Jan Schröder", 5200), "de",
        (
            said(19, "Internet seit gestern Abend komplett weg. Router blinkt rot. Hotline sagt "
                     "'Störung bekannt', aber seit wann und bis wann? #Störung"),
            answered(18, "tom", "Hallo Jan, an einem Verteiler in deinem Gebiet gibt es eine "
                                "Störung. Die Technik ist vor Ort, wir rechnen mit der Behebung "
                                "heute bis 18 Uhr und melden uns, sobald es läuft. ^TR"),
            said(2, "18 Uhr ist lange vorbei. Immer noch rot."),
        ),
        status=OPEN, priority=HIGH, assignee="tom", due_in_hours=-1,
    ),
    DemoThread(
        "x-refund-priya", "x-service", Author("@travelwithpriya", "Priya Nair", 15600), "en",
        (
            said(65, "It's been 6 weeks since my train was cancelled and I still haven't "
                     "received my refund. Three emails, zero replies. What is going on?"),
            answered(62, "sara", "Hi Priya, we're sorry for the wait. We found your claim and "
                                 "escalated it; the refund will be paid within 5 working days. "
                                 "^SY"),
            said(30, "Still nothing. Not impressed."),
            noted(29, "sara", "Laut Buchhaltung gestern angewiesen; kommt 1–2 Tage später auf "
                              "dem Konto an."),
            answered(28, "sara", "Hi Priya, the payment went out yesterday; depending on your "
                                 "bank it arrives within 1–2 days. Thanks for your patience! ^SY"),
        ),
        status=PENDING, priority=HIGH, assignee="sara",
    ),
    DemoThread(
        "x-thanks-router", "x-service", Author("@kiki_reads", "Kiki Lambert", 340), "en",
        (
            said(24, "Shoutout to the support team, my replacement router arrived a day early "
                     "and works perfectly 🙌"),
            answered(23, "tom", "Thanks Kiki, glad it's all working! Enjoy ^TR"),
        ),
        status=RESOLVED, priority=LOW,
    ),
    DemoThread(
        "x-neukoelln", "x-service", Author("@berlin_dev", "Lars Fischer", 9100), "de",
        (
            said(0.5, "Gibt es gerade eine größere Störung in Berlin-Neukölln? Kein Internet, "
                      "kein Telefon, die Statusseite zeigt alles grün."),
        ),
        priority=HIGH, due_in_hours=1.5,
    ),
    DemoThread(
        "x-parcel-crushed", "x-service", Author("@olivia_home", "Olivia Brown", 620), "en",
        (
            said(38, "Parcel arrived completely crushed. The lamp inside is in pieces. How do I "
                     "file a claim?"),
            answered(37, "sara", "Hi Olivia, sorry about that! Please take photos of the box and "
                                 "the lamp and send them through our contact form. We'll sort out "
                                 "a replacement. ^SY"),
        ),
        status=RESOLVED, assignee="sara",
    ),
    DemoThread(
        "x-fehler-402", "x-service", Author("@noah_k", "Noah Klein", 210), "de",
        (
            said(11, "Zahlung in der App schlägt immer fehl: 'Fehler 402'. Die Kreditkarte "
                     "funktioniert überall sonst."),
        ),
        due_in_hours=13,
    ),
    DemoThread(
        "x-spam-followers", "x-service", Author("@best_followers_cheap", "Followers Deal", 5),
        "en",
        (said(45, "Get 10,000 real followers for only $9.99!!! DM now 🔥🔥🔥"),),
        status=SPAM, priority=LOW,
    ),
    DemoThread(
        "x-interview", "x-service", Author("@james_commutes", "James Patel", 1750), "en",
        (
            said(7, "Third delay this week on the 7:42. Missed a job interview today because of "
                    "it. Is there any compensation for this?"),
        ),
        priority=HIGH, due_in_hours=5,
    ),
    DemoThread(
        "x-nachbar", "x-service", Author("@oma_gerda", "Gerda Hofmann", 60), "de",
        (
            said(26, "Das Paket soll 'beim Nachbarn' abgegeben worden sein. Welcher Nachbar? "
                     "Keiner hat es. Mein Medikament war da drin!"),
            noted(25, "jonas", "Medikament – bitte vorziehen und den Zusteller direkt "
                               "kontaktieren."),
            answered(24.5, "sara", "Hallo Frau Hofmann, das tut uns sehr leid. Wir haben den "
                                   "Zusteller kontaktiert und melden uns heute noch mit dem "
                                   "genauen Ablageort. ^SY"),
        ),
        status=OPEN, priority=URGENT, assignee="sara", due_in_hours=-18,
    ),
)

_MASTODON = (
    DemoThread(
        "md-glasfaser", "mastodon", Author("@anke@social.example", "Anke Bauer", 780), "de",
        (
            said(68, "Glasfaseranschluss seit drei Wochen 'bereitgestellt', aber der Techniker "
                     "für die Inbetriebnahme kommt einfach nicht. Zwei Termine abgesagt, ohne "
                     "Bescheid."),
            answered(67, "tom", "Hallo Anke, das tut uns leid. Wir haben einen festen Termin "
                                "für Donnerstag zwischen 8 und 12 Uhr eingetragen; die "
                                "Bestätigung kommt per SMS. ^TR"),
            said(20, "Donnerstag war heute. Niemand da."),
        ),
        status=OPEN, priority=HIGH, assignee="tom", due_in_hours=-2,
    ),
    DemoThread(
        "md-watchdog", "mastodon", Author("@marc@fosstodon.example", "Marc Dubois", 2900), "en",
        (
            said(46, "My router reboots every 20 minutes since the firmware update last night. "
                     "Anyone else? The log shows 'watchdog timeout'."),
            answered(45, "tom", "Hi Marc, thanks for the log line. The new firmware has a known "
                                "watchdog bug on your model; the fixed version rolls out "
                                "automatically tonight, or you can install it now from the "
                                "router's update page. ^TR"),
            said(20, "Manual update worked. Stable for 12 hours now. Thanks!"),
        ),
        status=RESOLVED, assignee="tom",
    ),
    DemoThread(
        "md-dns", "mastodon", Author("@kai@ops.example", "Kai Wagner", 11300), "en",
        (
            said(4, "Your DNS resolvers are timing out for about 30% of queries since noon. "
                    "Switching to another resolver fixes it. Please check your resolver "
                    "cluster."),
            noted(3.5, "tom", "An das Netzbetriebszentrum gegeben, Incident ist offen."),
        ),
        status=OPEN, priority=URGENT, assignee="tom", due_in_hours=0.5,
    ),
    DemoThread(
        "md-speed", "mastodon", Author("@lina@chaos.example", "Lina Kraft", 430), "de",
        (
            said(29, "Ich bezahle 250 Mbit/s und bekomme abends 18. Das Messprotokoll liegt vor. "
                     "Und jetzt?"),
        ),
        due_in_hours=-5,
    ),
    DemoThread(
        "md-2fa", "mastodon", Author("@beth@mastodon.example", "Beth Morgan", 1100), "en",
        (
            said(16, "Can't log into the customer app – the 2FA code SMS never arrives. Tried "
                     "five times. Locked out of my account now."),
            answered(15, "tom", "Hi Beth, sorry! Our SMS provider had delays this morning; "
                                "that's fixed now. The lock lifts by itself after 30 minutes. If "
                                "the code still doesn't arrive, reply here and we'll reset it. "
                                "^TR"),
        ),
        status=PENDING, assignee="tom", due_in_hours=9,
    ),
    DemoThread(
        "md-receiver", "mastodon", Author("@ralf@social.example", "Ralf Hofmann", 260), "de",
        (
            said(10, "Seit dem Update ruckelt das Fernsehen über den Receiver ständig. Neustart "
                     "bringt nichts."),
        ),
        priority=LOW, due_in_hours=38,
    ),
    DemoThread(
        "md-ipv6", "mastodon", Author("@chris@infosec.example", "Chris Novak", 4700), "en",
        (
            said(58, "Still no IPv6 on your cable network? Customers have asked for it for "
                     "years. Any roadmap?"),
            answered(56, "tom", "Hi Chris, fair question. IPv6 for cable customers is rolling "
                                "out region by region this year; we'll post the schedule on our "
                                "status page. ^TR"),
        ),
        status=RESOLVED, priority=LOW, assignee="tom",
    ),
    DemoThread(
        "md-pasing", "mastodon", Author("@julia@muenchen.example", "Julia Huber", 820), "de",
        (
            said(2.5, "Internet in München-Pasing seit einer Stunde weg, Homeoffice unmöglich. "
                      "Gibt es schon eine Info?"),
        ),
        priority=HIGH, due_in_hours=1,
    ),
    DemoThread(
        "md-mail-tablet", "mastodon", Author("@joe@social.example", "Joe Taylor", 45), "en",
        (
            said(34, "I can't get my emails any more on my tablet. It says the password is "
                     "wrong but I didn't change it."),
            answered(33, "tom", "Hi Joe, we changed the mail server settings last week for "
                                "security; the tablet now needs port 993 with SSL. Would a "
                                "step-by-step guide help? ^TR"),
            said(31, "Yes please, I'm not very good with these things."),
            noted(30.5, "tom", "Anleitung fürs Tablet schreiben – guter Kandidat für die FAQ."),
        ),
        status=OPEN, assignee="tom", due_in_hours=4,
    ),
    DemoThread(
        "md-roaming", "mastodon", Author("@anna@nordic.example", "Anna Svensson", 3100), "en",
        (
            said(21, "Roaming in Spain doesn't work at all: no data, no calls. Roaming is "
                     "switched on in the settings."),
        ),
        priority=HIGH, due_in_hours=-6,
    ),
)

_FORUM = (
    DemoThread(
        "cf-wlan", "community-forum", Author("wlan_willi", "Wilhelm Braun"), "de",
        (
            said(64, "Hallo zusammen,\n\nseit dem Tarifwechsel bricht mein WLAN ungefähr jede "
                     "Stunde für zwei bis drei Minuten ab. Per LAN-Kabel läuft alles stabil. Den "
                     "Kanal habe ich schon gewechselt, 2,4 und 5 GHz getrennt.\n\nHat jemand "
                     "eine Idee, oder ist das ein bekanntes Problem?"),
            answered(60, "tom", "Hallo Wilhelm,\n\ndanke für die genaue Beschreibung. Schalte "
                                "bitte testweise die automatische Kanalwahl bei Störungen ab. "
                                "Bricht es danach weiter ab, schicken wir dir ein "
                                "Austauschgerät."),
            said(40, "Hat leider nichts gebracht, die Abbrüche sind wie vorher."),
            answered(39, "tom", "Danke fürs Testen! Wir schicken dir ein Austauschgerät, die "
                                "Versandbestätigung kommt per Mail."),
        ),
        subject="WLAN bricht jede Stunde ab", status=PENDING, assignee="tom",
    ),
    DemoThread(
        "cf-umzug", "community-forum", Author("neukunde_mehmet", "Mehmet Kaya"), "de",
        (
            said(52, "Ich ziehe zum Monatsersten um. Laut Verfügbarkeitsprüfung gibt es an der "
                     "neuen Adresse nur 50 Mbit/s statt 250. Kann ich dann außerordentlich "
                     "kündigen oder muss ich den alten Tarif weiterzahlen?"),
        ),
        subject="Umzug: Anschluss am neuen Wohnort langsamer", due_in_hours=-4,
    ),
    DemoThread(
        "cf-app-rechnungen", "community-forum", Author("android_andi", "Andreas Lang"), "de",
        (
            said(28, "App-Version 5.2, Android 15. Sobald ich auf 'Rechnungen' tippe, schließt "
                     "sich die App. Cache geleert, neu installiert – gleiches Spiel."),
            noted(27, "tom", "Auf Android 15 nachvollziehbar, ans App-Team gemeldet."),
        ),
        subject="App stürzt beim Öffnen der Rechnungen ab", status=OPEN, assignee="tom",
        due_in_hours=20,
    ),
    DemoThread(
        "cf-tipp-app", "community-forum", Author("helferlein", "Sabine Roth"), "de",
        (
            said(47, "Falls es jemandem hilft: Ich habe meine Störung über die App gemeldet statt "
                     "über die Hotline und hatte nach zwei Stunden einen Rückruf. Deutlich "
                     "schneller als beim letzten Mal."),
            noted(46, "tom", "Guter Hinweis, als FAQ-Vorschlag merken."),
        ),
        subject="Tipp: Störung per App melden geht schneller", status=RESOLVED, priority=LOW,
    ),
    DemoThread(
        "cf-ping", "community-forum", Author("pro_gamer_99", "Felix Weber"), "de",
        (
            said(17, "Zwischen 19 und 23 Uhr steigt mein Ping von 15 auf 120 ms, dazu 3 % "
                     "Paketverlust. Tagsüber alles super. Ist das Segment überlastet?"),
        ),
        subject="Hoher Ping am Abend", due_in_hours=7,
    ),
    DemoThread(
        "cf-ruecksendung", "community-forum", Author("ingrid_s", "Ingrid Schäfer"), "de",
        (
            said(56, "Ich habe einen neuen Router bekommen. Wohin schicke ich den alten? Im "
                     "Paket lag kein Rücksendeschein."),
            answered(55, "tom", "Hallo Ingrid, den Rücksendeschein kannst du im Kundenportal "
                                "unter 'Geräte' selbst ausdrucken. Die Rücksendung ist "
                                "kostenlos."),
        ),
        subject="Alten Router zurückschicken – wohin?", status=RESOLVED, priority=LOW,
        assignee="tom",
    ),
    DemoThread(
        "cf-festnetz", "community-forum", Author("rentner_rudi", "Rudolf Meier"), "de",
        (
            said(9, "Seit der Umstellung auf den neuen Anschluss rauscht es beim Telefonieren "
                    "ständig, manchmal bricht das Gespräch ab. Das Telefon hängt direkt am "
                    "Router."),
        ),
        subject="Festnetz rauscht seit der Umstellung", due_in_hours=15,
    ),
    DemoThread(
        "cf-kiel", "community-forum", Author("kiel_kevin", "Kevin Lorenz"), "de",
        (
            said(1, "Bei mir und drei Nachbarn im Haus geht seit etwa 45 Minuten nichts mehr. "
                    "Weiß jemand mehr?"),
        ),
        subject="Großstörung in Kiel?", priority=HIGH, due_in_hours=2,
    ),
)

_CONTACT_FORM = (
    DemoThread(
        "kf-doppelt", "contact-form", Author("m.schneider@mail.example", "Monika Schneider"),
        "de",
        (
            said(69, "Guten Tag,\n\nim März wurde meine Monatsrechnung über 39,99 € zweimal "
                     "abgebucht, am 3. und am 4. Bitte erstatten Sie mir den doppelten "
                     "Betrag.\n\nMit freundlichen Grüßen\nMonika Schneider"),
            answered(66, "sara", "Guten Tag Frau Schneider,\n\nvielen Dank für Ihren Hinweis. "
                                 "Die doppelte Abbuchung war ein Fehler unsererseits; wir haben "
                                 "39,99 € zur Erstattung angewiesen, der Betrag ist in 3–5 "
                                 "Werktagen auf Ihrem Konto.\n\nFreundliche Grüße\nSara Yilmaz"),
        ),
        subject="Doppelte Abbuchung im März", status=RESOLVED, assignee="sara",
    ),
    DemoThread(
        "kf-refund-evans", "contact-form", Author("r.evans@mail.example", "Rachel Evans"), "en",
        (
            said(57, "Hello,\n\nI cancelled my booking on the 2nd and was promised a refund "
                     "within 14 days. It has now been 31 days. Booking reference DK-44812.\n\n"
                     "Regards, Rachel"),
            noted(55, "sara", "Erstattung hing in der Freigabe-Warteschlange; Freigabe "
                              "angefordert."),
        ),
        subject="Refund still missing", status=OPEN, priority=HIGH, assignee="sara",
        due_in_hours=-8,
    ),
    DemoThread(
        "kf-mahnung", "contact-form", Author("h.wolf@mail.example", "Horst Wolf"), "de",
        (
            said(41, "Ich habe eine Mahnung mit 5 € Mahngebühr bekommen, obwohl ich die Rechnung "
                     "pünktlich überwiesen habe. Ich erwarte, dass die Gebühr gestrichen wird."),
            answered(40, "sara", "Guten Tag Herr Wolf,\n\nSie haben recht: Ihre Zahlung ist "
                                 "eingegangen, wurde wegen eines Tippfehlers im Verwendungszweck "
                                 "aber nicht zugeordnet. Die Mahngebühr ist storniert. "
                                 "Entschuldigen Sie bitte die Umstände.\n\nFreundliche Grüße\n"
                                 "Sara Yilmaz"),
        ),
        subject="Mahnung trotz Zahlung", status=RESOLVED, assignee="sara",
    ),
    DemoThread(
        "kf-tarif", "contact-form", Author("l.becker@mail.example", "Laura Becker"), "de",
        (
            said(23, "Seit zwei Monaten wird mir der Tarif 'Premium' berechnet, obwohl ich im "
                     "Januar auf 'Basis' gewechselt habe. Die Bestätigung habe ich per Mail "
                     "bekommen. Bitte korrigieren Sie das und erstatten Sie die Differenz."),
        ),
        subject="Falscher Tarif berechnet", due_in_hours=25,
    ),
    DemoThread(
        "kf-paket", "contact-form", Author("t.yildiz@mail.example", "Tarık Yıldız"), "de",
        (
            said(37, "Meine Bestellung steht laut Sendungsverfolgung seit sechs Tagen 'im "
                     "Zustellzentrum'. Ich habe bezahlt und möchte jetzt entweder das Paket oder "
                     "mein Geld."),
            answered(35, "sara", "Hallo Herr Yıldız,\n\nwir haben einen Nachforschungsauftrag "
                                 "gestartet. Taucht das Paket nicht binnen drei Werktagen auf, "
                                 "erstatten wir den vollen Betrag von selbst.\n\nViele Grüße\n"
                                 "Sara Yilmaz"),
        ),
        subject="Paket nie angekommen", status=PENDING, assignee="sara", due_in_hours=36,
    ),
    DemoThread(
        "kf-invoices", "contact-form", Author("accounts@bakery.example", "Greenleaf Bakery"),
        "en",
        (
            said(31, "Hi, could you send us copies of all invoices from last year? Our "
                     "accountant needs them by Friday. Customer number 7718-220."),
        ),
        subject="Invoice copies for our tax return", priority=LOW, due_in_hours=40,
    ),
    DemoThread(
        "kf-lastschrift", "contact-form", Author("k.zimmermann@mail.example", "Klaus Zimmermann"),
        "de",
        (
            said(13, "Meine Bank hat eine Lastschrift versehentlich zurückgebucht. Jetzt steht "
                     "im Portal, dass mein Anschluss gesperrt wird. Ich habe den Betrag sofort "
                     "überwiesen. Bitte nicht sperren!"),
        ),
        subject="Lastschrift zurückgebucht – Sperre?", priority=URGENT, due_in_hours=0.5,
    ),
    DemoThread(
        "kf-credit", "contact-form", Author("s.okafor@mail.example", "Samuel Okafor"), "en",
        (
            said(62, "Your outage page promised a credit for last month's three-day outage. My "
                     "new bill shows the full amount. Please apply the credit."),
            answered(61, "sara", "Hi Samuel,\n\nthanks for pointing this out. We have added the "
                                 "credit of 12.50 € by hand; it will show on your next bill.\n\n"
                                 "Best regards,\nSara"),
            said(12, "My next bill came today, still no credit."),
        ),
        subject="Outage credit not applied", status=OPEN, priority=HIGH, assignee="sara",
        due_in_hours=-2,
    ),
    DemoThread(
        "kf-kuendigung", "contact-form", Author("e.fuchs@mail.example", "Elke Fuchs"), "de",
        (
            said(45, "Ich habe vor vier Wochen schriftlich gekündigt und bis heute keine "
                     "Bestätigung erhalten. Bitte bestätigen Sie mir das Vertragsende."),
            noted(44, "sara", "Kündigung im System gefunden, die Bestätigung war nicht "
                              "rausgegangen. Neu versendet."),
            answered(43.5, "sara", "Guten Tag Frau Fuchs,\n\nIhre Kündigung liegt uns vor; die "
                                   "Bestätigung mit dem Vertragsende haben wir Ihnen eben per "
                                   "E-Mail geschickt.\n\nFreundliche Grüße\nSara Yilmaz"),
        ),
        subject="Kündigungsbestätigung fehlt", status=RESOLVED, assignee="sara",
    ),
    DemoThread(
        "kf-preis", "contact-form", Author("w.schmitt@mail.example", "Werner Schmitt"), "de",
        (
            said(4, "Meine Rechnung ist ohne jede Ankündigung um 5 € gestiegen. Ich wurde nicht "
                    "informiert. Das akzeptiere ich nicht."),
        ),
        subject="Preiserhöhung ohne Ankündigung", due_in_hours=20,
    ),
    DemoThread(
        "kf-spam", "contact-form", Author("winner@prize.example", "Lucky Winner"), "en",
        (said(54, "Congratulations!!! Claim your prize now on our website, only a small "
                  "shipping fee required."),),
        subject="You have won!!!", status=SPAM, priority=LOW,
    ),
    DemoThread(
        "kf-raten", "contact-form", Author("n.yilmaz@mail.example", "Nesrin Yılmaz"), "de",
        (
            said(19, "Die Nachzahlung aus der Jahresabrechnung (186 €) kann ich gerade nicht "
                     "auf einmal bezahlen. Ist eine Ratenzahlung möglich?"),
            answered(18, "sara", "Guten Tag Frau Yılmaz,\n\nja, das geht: Wir können den "
                                 "Betrag auf drei Monatsraten zu 62 € verteilen. Antworten Sie "
                                 "einfach kurz mit 'Einverstanden', dann richten wir das ein."
                                 "\n\nFreundliche Grüße\nSara Yilmaz"),
        ),
        subject="Ratenzahlung möglich?", status=PENDING, assignee="sara", due_in_hours=30,
    ),
)

THREADS: tuple[DemoThread, ...] = (
    *_SOCIAL_LISTENING, *_X_SERVICE, *_MASTODON, *_FORUM, *_CONTACT_FORM,
)
