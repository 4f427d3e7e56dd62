from django.http import HttpResponse


def customer_list(request):
    return HttpResponse("")


duplicates = merge = customer_detail = timeline = note_add = tags_edit = phone_reveal = (
    customer_list
)
