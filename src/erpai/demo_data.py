"""The demo company "Northwind Trading": a Master model with Marketing and Sales children."""

from __future__ import annotations

MASTER_SYSTEM = (
    "You are the assistant of Northwind Trading, a wholesale distributor of coffee and tea. "
    "Answer briefly and politely, in the language of the question. If you are not sure, say so."
)
MARKETING_SYSTEM = "You help the marketing team with brand, campaign and social media rules."
SALES_SYSTEM = "You help the sales team with prices, discounts, orders and delivery terms."

# (question, answer, qa_type); an empty answer marks a question the model must not answer.
MASTER_QAS = [
    ("What are the office opening hours?", "The office is open Monday to Friday, 8:00 to 17:00.", "T"),
    ("When is the office open?", "The office is open Monday to Friday, 8:00 to 17:00.", "T"),
    (
        "How many days of paid leave do employees get?",
        "Every employee gets 25 working days of paid leave a year.",
        "T",
    ),
    ("How much annual vacation do I have?", "Every employee gets 25 working days of paid leave a year.", "T"),
    (
        "Where do I submit expense reports?",
        "Submit expense reports in the Finance portal under Expenses, within 30 days.",
        "T",
    ),
    (
        "How do I claim travel expenses?",
        "Submit expense reports in the Finance portal under Expenses, within 30 days.",
        "T",
    ),
    (
        "Who do I call when my laptop breaks?",
        "Call the IT help desk on extension 555 or write to it@northwind.example.",
        "T",
    ),
    (
        "How do I reach IT support?",
        "Call the IT help desk on extension 555 or write to it@northwind.example.",
        "T",
    ),
    ("Колко дни отпуск имам годишно?", "Всеки служител има 25 работни дни платен отпуск годишно.", "T"),
    ("When can I visit the office?", "The office is open Monday to Friday, 8:00 to 17:00.", "V"),
    (
        "My computer is broken, who can help?",
        "Call the IT help desk on extension 555 or write to it@northwind.example.",
        "V",
    ),
    ("What is the best pizza topping?", "", "V"),
]
MARKETING_QAS = [
    ("What is our brand colour?", "Our brand colour is Northwind teal, hex #0F7C80.", "T"),
    ("Which colour must the logo use?", "Our brand colour is Northwind teal, hex #0F7C80.", "T"),
    (
        "Who approves social media posts?",
        "Every social media post is approved by the marketing lead, Maria Petrova.",
        "T",
    ),
    (
        "Can I publish a LinkedIn post myself?",
        "Every social media post is approved by the marketing lead, Maria Petrova.",
        "T",
    ),
    (
        "What is our target market?",
        "We target independent cafés and small hotel chains in Central Europe.",
        "T",
    ),
    ("Who are our customers?", "We target independent cafés and small hotel chains in Central Europe.", "T"),
    ("When does the spring campaign start?", "The spring campaign 'Fresh Harvest' starts on 1 March.", "T"),
    (
        "What is the name of the spring campaign?",
        "The spring campaign 'Fresh Harvest' starts on 1 March.",
        "T",
    ),
    ("Which colour is the Northwind brand?", "Our brand colour is Northwind teal, hex #0F7C80.", "V"),
    (
        "Who signs off posts for Instagram?",
        "Every social media post is approved by the marketing lead, Maria Petrova.",
        "V",
    ),
    (
        "Which segments do we sell to?",
        "We target independent cafés and small hotel chains in Central Europe.",
        "V",
    ),
    ("How tall is Mount Everest?", "", "V"),
]
SALES_QAS = [
    ("What is the minimum order?", "The minimum order is 20 kg of coffee or 5 kg of tea.", "T"),
    ("How much do I need to buy at least?", "The minimum order is 20 kg of coffee or 5 kg of tea.", "T"),
    (
        "What discount do we give for large orders?",
        "Orders above 500 kg get a 7% discount; above 1 t, 10%.",
        "T",
    ),
    ("Is there a volume discount?", "Orders above 500 kg get a 7% discount; above 1 t, 10%.", "T"),
    (
        "How long does delivery take?",
        "Delivery takes 2 working days in Bulgaria and 4 in the rest of the EU.",
        "T",
    ),
    (
        "When will the customer get the goods?",
        "Delivery takes 2 working days in Bulgaria and 4 in the rest of the EU.",
        "T",
    ),
    (
        "What are the payment terms?",
        "Invoices are payable within 30 days; new customers pay in advance.",
        "T",
    ),
    (
        "When must invoices be paid?",
        "Invoices are payable within 30 days; new customers pay in advance.",
        "T",
    ),
    (
        "What's the smallest order a customer can place?",
        "The minimum order is 20 kg of coffee or 5 kg of tea.",
        "V",
    ),
    ("Do big orders get cheaper?", "Orders above 500 kg get a 7% discount; above 1 t, 10%.", "V"),
    (
        "How many days until delivery in Germany?",
        "Delivery takes 2 working days in Bulgaria and 4 in the rest of the EU.",
        "V",
    ),
    ("Who won the football world cup in 2018?", "", "V"),
]
# Training conversations: (model key, [(role, name, text)]).
CONVERSATIONS = [
    (
        "sales",
        [
            ("U", "Ivan Georgiev", "A customer asks if we ship to Switzerland."),
            (
                "A",
                "Sales Assistant",
                "Yes: we ship to Switzerland in 5 working days; customs fees are paid by the customer.",
            ),
        ],
    ),
    (
        "marketing",
        [
            ("U", "Elena Dimitrova", "Can we use the old brown logo in the trade fair booth?"),
            (
                "A",
                "Marketing Assistant",
                "No: the brown logo was retired in 2024; use the teal logo from the brand kit.",
            ),
        ],
    ),
]
