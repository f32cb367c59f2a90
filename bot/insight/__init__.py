"""Staff insight: what visitors asked, where the bot fell short, for a period.

Figures are pure functions over plain data (bot.insight.figures, conversations,
grouping); sources read them from Rasa's redacted tracker store and the app database
(bot.insight.sources); charts and the HTML report render them (bot.insight.charts,
bot.insight.report). Nothing here shows a count of fewer than three conversations or a
text from a group that fewer than three conversations wrote.
"""
